#include "dashboard/http_server.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace farm::dashboard {

namespace {

constexpr size_t kMaxBody = 64 << 10;  // logins and cancels are tiny

// Said on every answer: the pages load only their own scripts and styles,
// and are never framed.
const std::pair<const char*, const char*> kSecurityHeaders[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Content-Security-Policy",
     "default-src 'self'; style-src 'self' 'unsafe-inline'; "
     "img-src 'self' data:; frame-ancestors 'none'"},
};

// The verified client certificate of a TLS request, as PEM; "" if none.
std::string CertificatePem(const httplib::Request& request) {
  if (request.ssl == nullptr) return "";
  X509* cert = SSL_get0_peer_certificate(request.ssl);
  if (cert == nullptr || SSL_get_verify_result(request.ssl) != X509_V_OK) {
    return "";
  }
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem;
  if (PEM_write_bio_X509(bio, cert) == 1) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    pem.assign(data, static_cast<size_t>(size));
  }
  BIO_free(bio);
  return pem;
}

HttpRequest Convert(const httplib::Request& in) {
  HttpRequest out;
  out.method = in.method;
  out.path = in.path;
  for (const auto& [name, value] : in.params) out.query[name] = value;
  for (const auto& [name, value] : in.headers) {
    out.headers[absl::AsciiStrToLower(name)] = value;
  }
  out.body = in.body;
  out.secure = in.ssl != nullptr;
  out.client_certificate_pem = CertificatePem(in);
  return out;
}

class HttplibExchange : public HttpExchange {
 public:
  explicit HttplibExchange(httplib::Response& response) : response_(response) {
    for (const auto& [name, value] : kSecurityHeaders) {
      response_.set_header(name, value);
    }
  }

  void Send(const HttpResponse& response) override {
    response_.status = response.status;
    for (const auto& [name, value] : response.headers) {
      response_.set_header(name.c_str(), value);
    }
    if (!response.body.empty() || response.status == 200) {
      response_.set_content(response.body, response.content_type.c_str());
    }
  }

  void Stream(const std::string& content_type,
              std::function<void(const StreamWriter&)> produce) override {
    response_.status = 200;
    response_.set_header("Cache-Control", "no-store");
    response_.set_chunked_content_provider(
        content_type,
        [produce = std::move(produce)](size_t, httplib::DataSink& sink) {
          produce([&sink](absl::string_view bytes) {
            return sink.is_writable() && sink.write(bytes.data(), bytes.size());
          });
          sink.done();
          return true;
        });
  }

 private:
  httplib::Response& response_;
};

// Sets up HTTPS: the farm's certificate and key, TLS 1.2 or later, and
// client certificates asked for (not required) when there is a client CA.
bool SetUpTls(const HttpServerOptions& options, SSL_CTX& context,
              std::string* error) {
  if (SSL_CTX_use_certificate_chain_file(&context, options.tls_cert.c_str()) !=
          1 ||
      SSL_CTX_use_PrivateKey_file(&context, options.tls_key.c_str(),
                                  SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(&context) != 1) {
    *error = absl::StrCat("cannot use ", options.tls_cert, " and ",
                          options.tls_key, " for the dashboard's HTTPS");
    return false;
  }
  SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
  // No session resumption: a browser that resumed a session on another
  // connection was refused with an internal-error alert. Keep-alive makes
  // full handshakes rare anyway.
  SSL_CTX_set_session_cache_mode(&context, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(&context, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(&context, 0);
  // OpenSSL's error queue is per thread, and cpp-httplib leaves a failed
  // handshake's errors on it (a browser that hangs up when asked for a
  // client certificate, to ask its user): the pool thread's next handshake
  // would read them as its own and fail. Each handshake starts clean.
  SSL_CTX_set_info_callback(&context, [](const SSL*, int where, int) {
    if (where & SSL_CB_HANDSHAKE_START) ERR_clear_error();
  });
  if (!options.tls_client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(&context, options.tls_client_ca.c_str(),
                                      nullptr) != 1) {
      *error =
          absl::StrCat("cannot read the client CA ", options.tls_client_ca);
      return false;
    }
    SSL_CTX_set_verify(&context, SSL_VERIFY_PEER, nullptr);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, HttpHandler handler) {
  const size_t colon = options.address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(options.address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http-listen ", options.address, ": expected HOST:PORT"));
  }
  std::string host = options.address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "the dashboard's HTTPS needs both a certificate and a key");
  }
  std::unique_ptr<HttpServer> server(new HttpServer);
  server->handler_ = std::move(handler);
  server->tls_ = !options.tls_cert.empty();
  if (server->tls_) {
    std::string error;
    auto tls = std::make_unique<httplib::SSLServer>(
        [&](SSL_CTX& context) { return SetUpTls(options, context, &error); });
    if (!tls->is_valid()) {
      return absl::InvalidArgumentError(
          error.empty() ? "cannot set up the dashboard's HTTPS" : error);
    }
    server->server_ = std::move(tls);
  } else {
    server->server_ = std::make_unique<httplib::Server>();
  }
  const int threads = options.threads;
  server->server_->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  server->server_->set_payload_max_length(kMaxBody);
  // SO_REUSEADDR only: the library's default also sets SO_REUSEPORT, which
  // would let a second scheduler share a port silently.
  server->server_->set_socket_options([](int socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  HttpServer* raw = server.get();
  auto route = [raw](const httplib::Request& request,
                     httplib::Response& response) {
    HttplibExchange exchange(response);
    raw->handler_(Convert(request), exchange);
  };
  server->server_->Get(".*", route);
  server->server_->Post(".*", route);
  if (port == 0) {
    server->port_ = server->server_->bind_to_any_port(host);
  } else if (server->server_->bind_to_port(host, port)) {
    server->port_ = port;
  } else {
    server->port_ = -1;
  }
  if (server->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot serve the dashboard on ", options.address,
        " (the port is taken or the address is not this machine's)"));
  }
  auto ended = std::make_shared<std::atomic<bool>>(false);
  server->thread_ = std::thread([raw, ended] {
    raw->server_->listen_after_bind();
    *ended = true;
  });
  // stop() does nothing to a server not yet listening, so a server dropped
  // at once would never stop: return once it listens.
  while (!server->server_->is_running() && !*ended) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (*ended) {
    return absl::UnavailableError(absl::StrCat("the dashboard stopped serving ",
                                               options.address,
                                               " as soon as it started"));
  }
  return server;
}

HttpServer::~HttpServer() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace farm::dashboard
