// The receiver's HTTP server (the only Beast translation unit of crewctl): one I/O thread, one
// coroutine per connection. Every request must arrive whole within request_timeout (a client that
// dribbles bytes cannot hold a connection), bodies and headers are capped, connections are capped.
#include <atomic>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "receiver.hpp"
#include "transport/thread_name.hpp"

namespace crewctl {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr std::size_t kHeaderLimit = 8 * 1024;

auto ec_token(beast::error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

}  // namespace

struct Receiver::Server {
  // Declared before the io_context: destroying it destroys the suspended sessions, which still
  // count themselves out of `connections` and read `options`.
  ReceiverOptions options;
  WebhookDesk* desk = nullptr;
  std::atomic<std::size_t> connections{0};
  tcp::endpoint bound;
  net::io_context ioc{1};
  std::thread thread;

  ~Server() {
    ioc.stop();
    if (thread.joinable()) thread.join();
  }

  net::awaitable<void> respond(beast::tcp_stream& stream, int status, std::string body, bool keep) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(keep);
    res.body() = std::move(body);
    res.prepare_payload();
    beast::error_code ec;
    stream.expires_after(options.request_timeout);
    co_await http::async_write(stream, res, ec_token(ec));
  }

  net::awaitable<void> session(beast::tcp_stream stream) {
    struct Slot {
      std::atomic<std::size_t>& n;
      ~Slot() { --n; }
    } slot{connections};
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      parser.header_limit(kHeaderLimit);
      stream.expires_after(options.request_timeout);
      beast::error_code ec;
      co_await http::async_read(stream, buffer, parser, ec_token(ec));
      if (ec == http::error::body_limit) {
        desk->count_rejection("too_large");
        co_await respond(stream, 413, R"({"detail":"body too large"})", false);
        break;
      }
      if (ec == beast::error::timeout) {
        if (parser.got_some() || buffer.size() > 0) desk->count_rejection("timeout");
        break;
      }
      if (ec == http::error::end_of_stream || ec == net::error::eof) break;
      if (ec) {
        if (parser.got_some() || buffer.size() > 0) desk->count_rejection("malformed");
        break;
      }
      auto& req = parser.get();
      WebhookDesk::Headers headers;
      for (const auto& f : req) headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      auto answer = desk->handle(req.method_string(), req.target(), headers, req.body());
      bool keep = req.keep_alive();
      co_await respond(stream, answer.status, std::move(answer.body), keep);
      if (!keep) break;
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.socket().close(ec);
  }

  net::awaitable<void> listen(tcp::acceptor acceptor) {
    net::steady_timer backoff(acceptor.get_executor());
    for (;;) {
      beast::error_code ec;
      tcp::socket sock(ioc);
      co_await acceptor.async_accept(sock, ec_token(ec));
      if (ec == net::error::operation_aborted) co_return;
      if (ec) {  // out of descriptors: retry shortly instead of spinning
        backoff.expires_after(std::chrono::milliseconds(10));
        co_await backoff.async_wait(ec_token(ec));
        continue;
      }
      if (connections.load() >= options.max_connections) {
        desk->count_rejection("busy");
        sock.close(ec);
        continue;
      }
      ++connections;
      net::co_spawn(ioc, session(beast::tcp_stream(std::move(sock))), [](std::exception_ptr) {});
    }
  }
};

crewai::Result<std::unique_ptr<Receiver>> Receiver::start(ReceiverOptions options, crewai::Client* client) {
  auto where = parse_listen(options.listen);
  if (!where) return tl::unexpected(where.error());
  std::string secret = random_secret(), bearer = random_secret();
  if (secret.empty() || bearer.empty()) {
    return crewai::make_error(crewai::ErrorCode::internal, "--listen: the system's random source failed");
  }
  std::unique_ptr<Receiver> r(new Receiver());
  r->desk_ = std::make_unique<WebhookDesk>(std::move(secret), std::move(bearer), options.flow_secret, client,
                                           options.flow_max_age, options.unix_now);
  r->server_ = std::make_unique<Server>();
  Server& s = *r->server_;
  s.options = options;
  s.desk = r->desk_.get();
  beast::error_code ec;
  auto addr = net::ip::make_address(where->first, ec);
  if (ec) {
    return crewai::make_error(crewai::ErrorCode::invalid_argument,
                              "--listen: \"" + where->first + "\" is not an IP address");
  }
  tcp::acceptor acceptor(s.ioc);
  tcp::endpoint ep(addr, where->second);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return crewai::make_error(crewai::ErrorCode::invalid_argument,
                              "--listen: cannot listen on " + options.listen + ": " + ec.message());
  }
  s.bound = acceptor.local_endpoint();
  if (options.public_url.empty()) options.public_url = "http://" + r->address();
  r->options_ = std::move(options);
  net::co_spawn(s.ioc, s.listen(std::move(acceptor)), [](std::exception_ptr) {});
  s.thread = std::thread([&s] {
    crewai::transport::name_this_thread("crewctl-receive");
    s.ioc.run();
  });
  return r;
}

Receiver::~Receiver() { server_.reset(); }

std::string Receiver::address() const {
  const auto& ep = server_->bound;
  std::string host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

}  // namespace crewctl
