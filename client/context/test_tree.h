// TempTree: a scratch directory for tests that need a real build context,
// with one-line helpers to create files, directories and symlinks in it.
// Helpers fail the running test (ADD_FAILURE) rather than return errors.
#ifndef FARM_CLIENT_CONTEXT_TEST_TREE_H_
#define FARM_CLIENT_CONTEXT_TEST_TREE_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "client/context/context_walker.h"

namespace farm::client::context {

class TempTree {
 public:
  TempTree();
  ~TempTree();
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::string& root() const { return root_; }
  std::string Path(const std::string& rel) const;

  // Creates missing parents (0755) too. `mode` is applied with chmod, so
  // the umask does not interfere.
  void Write(const std::string& rel, const std::string& content,
             mode_t mode = 0644);
  void MakeDir(const std::string& rel, mode_t mode = 0755);
  void Symlink(const std::string& rel, const std::string& target);
  // Sets mtime (and atime) without following symlinks.
  void SetMtime(const std::string& rel, int64_t unix_nanos);

 private:
  std::string root_;
};

// WalkContext over the whole tree, no ignore rules; a failure fails the
// test and gives an empty snapshot.
ContextSnapshot WalkTree(const TempTree& tree);

}  // namespace farm::client::context

#endif  // FARM_CLIENT_CONTEXT_TEST_TREE_H_
