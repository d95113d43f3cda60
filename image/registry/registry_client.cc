#include "image/registry/registry_client.h"

#include "common/status_macros.h"
#include "image/registry/curl_transport.h"

namespace farm::image::registry {
namespace {

// Holds one credential, for checking a login before it is stored.
class SingleCredentialStore : public CredentialStore {
 public:
  explicit SingleCredentialStore(Credential c) : credential_(std::move(c)) {}
  absl::StatusOr<std::optional<Credential>> Get(const std::string&) override {
    return std::optional<Credential>(credential_);
  }
  absl::Status Store(const std::string&, const Credential&) override {
    return absl::UnimplementedError("read-only credential");
  }
  absl::Status Erase(const std::string&) override {
    return absl::UnimplementedError("read-only credential");
  }

 private:
  Credential credential_;
};

}  // namespace

absl::StatusOr<RegistryClientOptions> DefaultRegistryClientOptions(
    const std::vector<std::string>& extra_insecure) {
  RegistryClientOptions options;
  options.credentials = DefaultCredentialStore();
  ASSIGN_OR_RETURN(options.insecure,
                   InsecureRegistries::Load(FarmConfigPath(), extra_insecure));
  return options;
}

RegistryClient::RegistryClient(RegistryClientOptions options)
    : options_(std::move(options)) {
  if (options_.transport == nullptr) {
    options_.transport = std::make_shared<CurlTransport>();
  }
  if (options_.sleeper == nullptr) options_.sleeper = RealSleeper();
  if (options_.clock == nullptr) options_.clock = RealClock::Get();
}

RegistrySession& RegistryClient::Session(const std::string& domain) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<RegistrySession>& s = sessions_[domain];
  if (s == nullptr) {
    s = std::make_unique<RegistrySession>(domain, options_.transport.get(),
                                          options_.credentials,
                                          &options_.insecure, options_.clock);
  }
  return *s;
}

absl::Status RegistryClient::CheckLogin(const std::string& domain,
                                        const Credential& credential) {
  RegistrySession session(domain, options_.transport.get(),
                          std::make_shared<SingleCredentialStore>(credential),
                          &options_.insecure, options_.clock);
  return Retry(options_.retry, *options_.sleeper,
               [&] { return session.CheckLogin(); });
}

}  // namespace farm::image::registry
