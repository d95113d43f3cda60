#include "client/build/secrets.h"

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::client::build {
namespace {

using ::testing::HasSubstr;

TEST(ParseSecretFlagTest, ReadsTheFormsBuildxAccepts) {
  absl::StatusOr<SecretSource> file = ParseSecretFlag("id=npm,src=/a/b");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->id, "npm");
  EXPECT_EQ(file->file, "/a/b");
  EXPECT_EQ(ParseSecretFlag("id=x,source=f,type=file")->file, "f");
  EXPECT_EQ(ParseSecretFlag("id=x,env=TOKEN")->env, "TOKEN");
  // type=env names the variable with src.
  absl::StatusOr<SecretSource> env = ParseSecretFlag("type=env,id=x,src=V");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->env, "V");
  EXPECT_EQ(env->file, "");
  EXPECT_EQ(ParseSecretFlag("\"id=a,b\",src=f")->id, "a,b");
}

TEST(ParseSecretFlagTest, RefusesWhatBuildxRefuses) {
  for (const char* bad : {"src=f", "id=x,bogus=1", "id=x,type=ssh", "id",
                          "id=\"x"}) {
    absl::StatusOr<SecretSource> parsed = ParseSecretFlag(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_THAT(parsed.status().message(), HasSubstr("--secret")) << bad;
  }
}

class ReadSecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("secrets");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
  }
  void TearDown() override { RemoveAll(dir_).IgnoreError(); }

  EnvLookup Env() {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }

  std::string dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ReadSecretsTest, FromFilesAndVariables) {
  const std::string file = JoinPath(dir_, "token");
  ASSERT_TRUE(WriteFile(file, "s3cr3t\n").ok());
  env_["API_KEY"] = "from-env";
  env_["bare"] = "bare-from-env";
  absl::StatusOr<std::map<std::string, std::string>> values = ReadSecrets(
      {{"tok", file, ""}, {"api", "", "API_KEY"}, {"bare", "", ""}}, Env());
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(values->at("tok"), "s3cr3t\n");
  EXPECT_EQ(values->at("api"), "from-env");
  EXPECT_EQ(values->at("bare"), "bare-from-env");
}

TEST_F(ReadSecretsTest, BareIdFallsBackToAFileOfThatName) {
  const std::string file = JoinPath(dir_, "creds");
  ASSERT_TRUE(WriteFile(file, "file-value").ok());
  absl::StatusOr<std::map<std::string, std::string>> values =
      ReadSecrets({{file, "", ""}}, Env());
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(values->at(file), "file-value");
}

TEST_F(ReadSecretsTest, ErrorsNameTheSecret) {
  absl::StatusOr<std::map<std::string, std::string>> missing =
      ReadSecrets({{"gone", JoinPath(dir_, "nope"), ""}}, Env());
  EXPECT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("--secret id=gone"));
  absl::StatusOr<std::map<std::string, std::string>> unset =
      ReadSecrets({{"k", "", "UNSET_VAR"}}, Env());
  EXPECT_EQ(unset.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unset.status().message(), HasSubstr("UNSET_VAR"));
  env_["BIG"] = std::string(kMaxSecretBytes + 1, 'x');
  absl::StatusOr<std::map<std::string, std::string>> big =
      ReadSecrets({{"big", "", "BIG"}}, Env());
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace farm::client::build
