#include "image/registry/blob_ops.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/compress/digesting_io.h"

namespace farm::image::registry {
namespace {

std::string BlobPath(const Reference& ref, const Digest& digest) {
  return absl::StrCat("/v2/", ref.path(), "/blobs/", digest.ToString());
}

// Hashes and counts what it passes on, failing once more than `limit`
// bytes arrive so an endless or oversized answer stops early.
class CheckingWriter : public ByteWriter {
 public:
  CheckingWriter(ByteWriter* out, int64_t limit)
      : hashed_(out), limit_(limit) {}
  absl::Status Write(absl::string_view data) override {
    if (limit_ >= 0 &&
        hashed_.bytes() + data.size() > static_cast<uint64_t>(limit_)) {
      return absl::DataLossError(
          absl::StrCat("the registry sent more than the ", limit_,
                       " bytes the manifest announces"));
    }
    return hashed_.Write(data);
  }
  absl::Status Close() override { return absl::OkStatus(); }
  uint64_t bytes() const { return hashed_.bytes(); }
  Digest Finish() { return hashed_.Finish(); }

 private:
  compress::DigestingWriter hashed_;
  int64_t limit_;
};

absl::Status CheckReportedDigest(const HttpResponse& resp, const Digest& want,
                                 const std::string& what) {
  std::string reported = resp.headers.Get("Docker-Content-Digest");
  if (!reported.empty() && reported != want.ToString()) {
    return absl::DataLossError(absl::StrCat(
        what, ": the registry computed ", reported, " for the uploaded bytes"));
  }
  return absl::OkStatus();
}

// Sends the bytes of an upload session at `location` and closes it with
// the digest. Returns the final response (201 expected).
absl::StatusOr<HttpResponse> Upload(RegistrySession& session,
                                    const Reference& ref,
                                    const oci::Descriptor& blob,
                                    ByteReader* reader, std::string location,
                                    const UploadOptions& options,
                                    const std::string& what) {
  std::vector<std::string> scopes = {RepositoryScope(ref.path(), true)};
  HttpRequest put;
  put.method = "PUT";
  put.headers.Add("Content-Type", "application/octet-stream");
  if (blob.size > options.monolithic_limit) {
    for (int64_t offset = 0; offset < blob.size;) {
      int64_t n = std::min(options.chunk_size, blob.size - offset);
      HttpRequest patch;
      patch.method = "PATCH";
      patch.url = location;
      patch.headers.Add("Content-Type", "application/octet-stream");
      patch.headers.Add("Content-Range",
                        absl::StrCat(offset, "-", offset + n - 1));
      patch.body_reader = reader;
      patch.body_size = n;
      ASSIGN_OR_RETURN(HttpResponse resp,
                       session.Send(std::move(patch), scopes));
      if (resp.status != 202) {
        return ResponseError(resp, session.Context(absl::StrCat(
                                       what, " (chunk at ", offset, ")")));
      }
      location = resp.headers.Get("Location");
      if (location.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            what, ": the registry sent no Location after a chunk"));
      }
      offset += n;
    }
  } else {
    put.body_reader = reader;
    put.body_size = blob.size;
  }
  put.url = AddQueryParam(location, "digest", blob.digest.ToString());
  return session.Send(std::move(put), scopes);
}

// Best effort: tells the registry to drop an unfinished upload.
void CancelUpload(RegistrySession& session, const Reference& ref,
                  const std::string& location) {
  HttpRequest del;
  del.method = "DELETE";
  del.url = location;
  session.Send(std::move(del), {RepositoryScope(ref.path(), true)})
      .IgnoreError();
}

}  // namespace

absl::StatusOr<bool> BlobExists(RegistrySession& session, const Reference& ref,
                                const Digest& digest, bool pushing) {
  HttpRequest req;
  req.method = "HEAD";
  req.url = BlobPath(ref, digest);
  ASSIGN_OR_RETURN(HttpResponse resp,
                   session.Send(req, {RepositoryScope(ref.path(), pushing)}));
  if (resp.status == 200) return true;
  if (resp.status == 404) return false;
  return ResponseError(
      resp, session.Context(absl::StrCat("checking blob ", digest.ToString(),
                                         " in ", ref.Repository().String())));
}

absl::Status FetchBlob(RegistrySession& session, const Reference& ref,
                       const oci::Descriptor& blob, archive::BlobSink& sink) {
  std::string what = absl::StrCat("fetching blob ", blob.digest.ToString(),
                                  " of ", ref.Repository().String());
  ASSIGN_OR_RETURN(std::unique_ptr<archive::BlobUpload> upload,
                   sink.Begin(blob.size));
  CheckingWriter writer(upload.get(), blob.size);
  HttpRequest req;
  req.url = BlobPath(ref, blob.digest);
  req.follow_redirects = true;
  ASSIGN_OR_RETURN(
      HttpResponse resp,
      session.Send(req, {RepositoryScope(ref.path(), false)}, &writer));
  if (resp.status != 200) {
    return ResponseError(
        resp, session.Context(what,
                              "the image in the registry is incomplete; "
                              "push it again"));
  }
  if (blob.size >= 0 && writer.bytes() != static_cast<uint64_t>(blob.size)) {
    return absl::DataLossError(absl::StrCat(what, ": received ", writer.bytes(),
                                            " bytes, the manifest says ",
                                            blob.size));
  }
  Digest got = writer.Finish();
  if (got != blob.digest) {
    return absl::DataLossError(
        absl::StrCat(what, ": the received bytes hash to ", got.ToString(),
                     "; the registry's copy is corrupt"));
  }
  RETURN_IF_ERROR(upload->Close());
  return Annotate(upload->Commit(blob.digest), what);
}

absl::StatusOr<BlobOutcome> PushBlob(RegistrySession& session,
                                     const Reference& ref,
                                     const oci::Descriptor& blob,
                                     archive::BlobSource& source,
                                     const std::vector<std::string>& mount_from,
                                     const UploadOptions& options) {
  std::string what = absl::StrCat("pushing blob ", blob.digest.ToString(),
                                  " to ", ref.Repository().String());
  ASSIGN_OR_RETURN(bool exists,
                   BlobExists(session, ref, blob.digest, /*pushing=*/true));
  if (exists) return BlobOutcome::kExisted;

  std::string location;
  int tried = 0;
  for (const std::string& from : mount_from) {
    if (from == ref.path() || tried++ >= options.max_mount_attempts) continue;
    HttpRequest mount;
    mount.method = "POST";
    mount.url = absl::StrCat("/v2/", ref.path(), "/blobs/uploads/");
    mount.url = AddQueryParam(mount.url, "mount", blob.digest.ToString());
    mount.url = AddQueryParam(mount.url, "from", from);
    ASSIGN_OR_RETURN(
        HttpResponse resp,
        session.Send(std::move(mount), {RepositoryScope(ref.path(), true),
                                        RepositoryScope(from, false)}));
    if (resp.status == 201) {
      RETURN_IF_ERROR(CheckReportedDigest(resp, blob.digest, what));
      return BlobOutcome::kMounted;
    }
    if (resp.status == 202) {
      // The registry could not mount and opened an upload instead.
      location = resp.headers.Get("Location");
      if (!location.empty()) break;
    }
  }
  if (location.empty()) {
    HttpRequest start;
    start.method = "POST";
    start.url = absl::StrCat("/v2/", ref.path(), "/blobs/uploads/");
    ASSIGN_OR_RETURN(
        HttpResponse resp,
        session.Send(std::move(start), {RepositoryScope(ref.path(), true)}));
    if (resp.status != 202) return ResponseError(resp, session.Context(what));
    location = resp.headers.Get("Location");
    if (location.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(what, ": the registry sent no upload Location"));
    }
  }

  absl::StatusOr<HttpResponse> done = absl::UnknownError("not sent");
  absl::StatusOr<archive::OpenedBlob> opened = source.Open(blob.digest);
  if (!opened.ok()) {
    done = Annotate(opened.status(), what);
  } else if (opened->size != blob.size) {
    done = absl::DataLossError(
        absl::StrCat(what, ": the local blob has ", opened->size,
                     " bytes, the manifest says ", blob.size));
  } else {
    done = Upload(session, ref, blob, opened->reader.get(), location, options,
                  what);
  }
  if (!done.ok() || (done->status != 201 && done->status != 204)) {
    CancelUpload(session, ref, location);
    if (!done.ok()) return done.status();
    return ResponseError(*done, session.Context(what));
  }
  RETURN_IF_ERROR(CheckReportedDigest(*done, blob.digest, what));
  return BlobOutcome::kUploaded;
}

}  // namespace farm::image::registry
