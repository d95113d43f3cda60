#include "client/image_commands.h"

#include <unistd.h>

#include <iostream>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/command_line.h"
#include "client/farm_call.h"
#include "client/human_format.h"
#include "client/image_inspect.h"
#include "common/grpc_status.h"
#include "common/grpc_streams.h"
#include "common/io.h"
#include "proto/image.grpc.pb.h"

namespace farm::client {

namespace {

int Fail(absl::string_view command, const absl::Status& status) {
  std::cerr << "Error: " << status.message() << "\n";
  return 1;
}

int Usage(absl::string_view usage, absl::string_view problem) {
  std::cerr << "farm: " << problem << "\nusage: " << usage << "\n";
  return 2;
}

// For the streaming calls (load, save), which CallFarm does not make.
absl::StatusOr<std::unique_ptr<proto::ImageService::Stub>> Connect(
    const FarmEndpoint& endpoint) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      OpenFarmChannel(endpoint);
  if (!channel.ok()) return channel.status();
  return proto::ImageService::NewStub(*channel);
}

// "docker.io/library/app:1.0" → {"app", "1.0"} for display.
std::pair<std::string, std::string> RepoAndTag(const std::string& tag) {
  std::string familiar = FamiliarTag(tag);
  size_t colon = familiar.rfind(':');
  size_t slash = familiar.rfind('/');
  if (colon == std::string::npos ||
      (slash != std::string::npos && colon < slash)) {
    return {familiar, "<none>"};
  }
  return {familiar.substr(0, colon), familiar.substr(colon + 1)};
}

}  // namespace

int RunLoadCommand(const std::vector<std::string>& args,
                   const FarmEndpoint& endpoint) {
  constexpr char kUsage[] = "farm load [-i FILE] [-q]";
  FlagSpec spec;
  spec.with_value = {"input"};
  spec.boolean = {"quiet"};
  spec.aliases = {{"i", "input"}, {"q", "quiet"}};
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, spec);
  if (!cli.ok()) return Usage(kUsage, cli.status().message());
  std::string input = cli->Get("input", "-");
  std::unique_ptr<ByteReader> reader;
  if (input == "-") {
    if (isatty(STDIN_FILENO)) {
      return Usage(kUsage,
                   "requested load from stdin, but stdin is a terminal");
    }
    absl::StatusOr<std::unique_ptr<ByteReader>> in =
        OpenFileReader("/dev/stdin");
    if (!in.ok()) return Fail("load", in.status());
    reader = *std::move(in);
  } else {
    absl::StatusOr<std::unique_ptr<ByteReader>> in = OpenFileReader(input);
    if (!in.ok()) return Fail("load", in.status());
    reader = *std::move(in);
  }
  auto stub = Connect(endpoint);
  if (!stub.ok()) return Fail("load", stub.status());
  grpc::ClientContext context;
  proto::LoadImagesResponse response;
  std::unique_ptr<grpc::ClientWriter<proto::ArchiveChunk>> writer(
      (*stub)->LoadImages(&context, &response));
  std::string buffer(1 << 20, '\0');
  absl::Status read_status;
  while (true) {
    absl::StatusOr<size_t> n = reader->Read(buffer.data(), buffer.size());
    if (!n.ok()) {
      read_status = n.status();
      break;
    }
    if (*n == 0) break;
    proto::ArchiveChunk chunk;
    chunk.set_data(buffer.data(), *n);
    if (!writer->Write(chunk)) break;
  }
  writer->WritesDone();
  absl::Status status = FromGrpcStatus(writer->Finish());
  if (!read_status.ok()) return Fail("load", read_status);
  if (!status.ok()) return Fail("load", status);
  if (!cli->Has("quiet")) {
    for (const std::string& line : response.loaded()) std::cout << line << "\n";
  }
  return 0;
}

int RunSaveCommand(const std::vector<std::string>& args,
                   const FarmEndpoint& endpoint) {
  constexpr char kUsage[] =
      "farm save [-o FILE] [--format docker|oci] [--platform P] REF...";
  FlagSpec spec;
  spec.with_value = {"output", "format", "platform"};
  spec.aliases = {{"o", "output"}};
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, spec);
  if (!cli.ok()) return Usage(kUsage, cli.status().message());
  if (cli->positional().empty())
    return Usage(kUsage, "name at least one image");
  std::string output = cli->Get("output", "-");
  if (output == "-" && isatty(STDOUT_FILENO)) {
    return Usage(kUsage,
                 "cowardly refusing to save to a terminal; use -o FILE");
  }
  auto stub = Connect(endpoint);
  if (!stub.ok()) return Fail("save", stub.status());
  proto::SaveImagesRequest request;
  for (const std::string& ref : cli->positional()) request.add_references(ref);
  request.set_format(cli->Get("format", "docker"));
  request.set_platform(cli->Get("platform"));
  std::string temp = output == "-" ? "/dev/stdout" : output + ".farm-partial";
  absl::StatusOr<std::unique_ptr<ByteWriter>> file = OpenFileWriter(temp);
  if (!file.ok()) return Fail("save", file.status());
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<proto::ArchiveChunk>> reader(
      (*stub)->SaveImages(&context, request));
  proto::ArchiveChunk chunk;
  absl::Status write_status;
  while (reader->Read(&chunk)) {
    if (write_status.ok()) write_status = (*file)->Write(chunk.data());
  }
  absl::Status status = FromGrpcStatus(reader->Finish());
  if (status.ok()) status = write_status;
  if (status.ok()) status = (*file)->Close();
  if (output != "-") {
    if (status.ok() && rename(temp.c_str(), output.c_str()) != 0) {
      status = absl::InternalError(absl::StrCat("renaming to ", output));
    }
    if (!status.ok()) unlink(temp.c_str());
  }
  if (!status.ok()) return Fail("save", status);
  return 0;
}

int RunImagesCommand(const std::vector<std::string>& args,
                     const FarmEndpoint& endpoint) {
  constexpr char kUsage[] = "farm images [-a] [-q] [--no-trunc]";
  FlagSpec spec;
  spec.boolean = {"all", "quiet", "no-trunc"};
  spec.aliases = {{"a", "all"}, {"q", "quiet"}};
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, spec);
  if (!cli.ok()) return Usage(kUsage, cli.status().message());
  proto::ListImagesRequest request;
  request.set_all(cli->Has("all"));
  proto::ListImagesResponse response;
  absl::Status status = CallFarm<proto::ImageService>(
      endpoint, &proto::ImageService::Stub::ListImages, request, &response);
  if (!status.ok()) return Fail("images", status);
  bool full = cli->Has("no-trunc");
  auto id_of = [full](const std::string& digest) {
    return full ? digest : ShortImageId(digest);
  };
  if (cli->Has("quiet")) {
    for (const auto& image : response.images()) {
      std::cout << id_of(image.image_id()) << "\n";
    }
    return 0;
  }
  // An admin's listing spans tenants: then say whose each image is.
  std::set<std::string> tenants;
  for (const auto& image : response.images()) tenants.insert(image.tenant());
  const bool by_tenant = tenants.size() > 1;
  // Multi-platform images, when there are any, show their platforms.
  bool by_platform = false;
  for (const auto& image : response.images()) {
    by_platform |= image.platforms_size() > 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}};
  if (by_tenant) rows[0].insert(rows[0].begin(), "TENANT");
  if (by_platform) rows[0].push_back("PLATFORMS");
  absl::Time now = absl::Now();
  for (const auto& image : response.images()) {
    std::string created =
        HumanDuration(now - absl::FromUnixNanos(image.created_unix_nanos())) +
        " ago";
    std::string size = HumanSize(image.size());
    std::vector<std::pair<std::string, std::string>> names;
    if (image.tags().empty()) names.push_back({"<none>", "<none>"});
    for (const std::string& tag : image.tags())
      names.push_back(RepoAndTag(tag));
    for (const auto& [repo, name] : names) {
      rows.push_back({repo, name, id_of(image.image_id()), created, size});
      if (by_tenant) rows.back().insert(rows.back().begin(), image.tenant());
      if (by_platform) {
        rows.back().push_back(absl::StrJoin(image.platforms(), ","));
      }
    }
  }
  std::cout << FormatTable(rows);
  return 0;
}

int RunRmiCommand(const std::vector<std::string>& args,
                  const FarmEndpoint& endpoint) {
  constexpr char kUsage[] = "farm rmi REF...";
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, FlagSpec());
  if (!cli.ok()) return Usage(kUsage, cli.status().message());
  if (cli->positional().empty()) return Usage(kUsage, "name an image");
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      OpenFarmChannel(endpoint);
  if (!channel.ok()) return Fail("rmi", channel.status());
  int exit_status = 0;
  for (const std::string& ref : cli->positional()) {
    proto::RemoveImagesRequest request;
    request.add_references(ref);
    proto::RemoveImagesResponse response;
    absl::Status status = CallFarm<proto::ImageService>(
        *channel, &proto::ImageService::Stub::RemoveImages, request, &response);
    if (!status.ok()) {
      std::cerr << "Error response from farm: " << status.message() << "\n";
      exit_status = 1;
      continue;
    }
    for (const auto& tag : response.untagged()) {
      std::cout << "Untagged: " << tag << "\n";
    }
    for (const auto& id : response.deleted()) {
      std::cout << "Deleted: " << id << "\n";
    }
  }
  return exit_status;
}

int RunTagCommand(const std::vector<std::string>& args,
                  const FarmEndpoint& endpoint) {
  constexpr char kUsage[] = "farm tag SOURCE TARGET";
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, FlagSpec());
  if (!cli.ok()) return Usage(kUsage, cli.status().message());
  if (cli->positional().size() != 2) return Usage(kUsage, "want two names");
  proto::TagImageRequest request;
  request.set_source(cli->positional()[0]);
  request.set_target(cli->positional()[1]);
  proto::TagImageResponse response;
  absl::Status status = CallFarm<proto::ImageService>(
      endpoint, &proto::ImageService::Stub::TagImage, request, &response);
  if (!status.ok()) return Fail("tag", status);
  return 0;
}

int RunInspectCommand(const std::vector<std::string>& args,
                      const FarmEndpoint& endpoint) {
  constexpr char kUsage[] = "farm inspect [--platform P] REF...";
  FlagSpec spec;
  spec.with_value = {"format", "platform"};
  spec.aliases = {{"f", "format"}};
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, spec);
  if (!cli.ok()) return Usage(kUsage, cli.status().message());
  if (cli->positional().empty()) return Usage(kUsage, "name an image");
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      OpenFarmChannel(endpoint);
  if (!channel.ok()) return Fail("inspect", channel.status());
  std::vector<proto::InspectImageResponse> found;
  int exit_status = 0;
  for (const std::string& ref : cli->positional()) {
    proto::InspectImageRequest request;
    request.set_reference(ref);
    request.set_platform(cli->Get("platform"));
    proto::InspectImageResponse response;
    absl::Status status = CallFarm<proto::ImageService>(
        *channel, &proto::ImageService::Stub::InspectImage, request, &response);
    if (!status.ok()) {
      std::cerr << "Error: " << status.message() << "\n";
      exit_status = 1;
      continue;
    }
    found.push_back(std::move(response));
  }
  absl::StatusOr<std::string> json = InspectJson(found);
  if (!json.ok()) return Fail("inspect", json.status());
  std::cout << *json;
  return exit_status;
}

int RunHistoryCommand(const std::vector<std::string>& args,
                      const FarmEndpoint& endpoint) {
  constexpr char kUsage[] = "farm history [--no-trunc] REF";
  FlagSpec spec;
  spec.boolean = {"no-trunc", "quiet"};
  spec.aliases = {{"q", "quiet"}};
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, spec);
  if (!cli.ok()) return Usage(kUsage, cli.status().message());
  if (cli->positional().size() != 1) return Usage(kUsage, "name one image");
  proto::InspectImageRequest request;
  request.set_reference(cli->positional()[0]);
  proto::InspectImageResponse response;
  absl::Status status = CallFarm<proto::ImageService>(
      endpoint, &proto::ImageService::Stub::InspectImage, request, &response);
  if (!status.ok()) return Fail("history", status);
  absl::StatusOr<std::string> table =
      HistoryTable(response, cli->Has("no-trunc"), absl::Now());
  if (!table.ok()) return Fail("history", table.status());
  std::cout << *table;
  return 0;
}

int RunImagePruneCommand(const std::vector<std::string>& args,
                         const FarmEndpoint& endpoint) {
  constexpr char kUsage[] = "farm image prune [-a] [-f]";
  FlagSpec spec;
  spec.boolean = {"all", "force"};
  spec.aliases = {{"a", "all"}, {"f", "force"}};
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, spec);
  if (!cli.ok()) return Usage(kUsage, cli.status().message());
  proto::PruneImagesRequest request;
  request.set_all(cli->Has("all"));
  proto::PruneImagesResponse response;
  absl::Status status = CallFarm<proto::ImageService>(
      endpoint, &proto::ImageService::Stub::PruneImages, request, &response);
  if (!status.ok()) return Fail("image prune", status);
  if (response.deleted_size() > 0) {
    std::cout << "Deleted Images:\n";
    for (const auto& id : response.deleted()) {
      std::cout << "deleted: " << id << "\n";
    }
    std::cout << "\n";
  }
  std::cout << "Total reclaimed space: "
            << HumanSize(response.reclaimed_bytes()) << "\n";
  return 0;
}

}  // namespace farm::client
