// The Beast server: accept loop, one coroutine per connection, webhook delivery (answers are made in
// wire.cpp).
#include "crewai/sim/server.hpp"

#include <mutex>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "accept.hpp"
#include "api.hpp"
#include "wire.hpp"

namespace crewai::sim {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kIdleTimeout = 60s;
constexpr auto kWebhookTimeout = 10s;
constexpr std::size_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kDrainLimit = 64u << 20;

std::string base_url_of(const tcp::endpoint& ep) {
  return "http://" + ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions o) : opts(std::move(o)), api(opts) {}
  detail::Clock::time_point now() const { return opts.now ? opts.now() : detail::Clock::now(); }
  ServerOptions opts;
  detail::Api api;
  std::unique_ptr<net::io_context> ioc = std::make_unique<net::io_context>();
  std::vector<std::thread> threads;
  tcp::endpoint bound;
  std::mutex stop_mu;
  bool stopped = false;
};

namespace {

using Impl = Server::Impl;
auto ec_token(beast::error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

net::awaitable<void> deliver(Impl& s, detail::Outgoing o) {
  auto ex = co_await net::this_coro::executor;
  auto url = boost::urls::parse_uri(o.url);
  if (!url || url->scheme() != "http") {
    s.api.webhook_done(false);
    co_return;
  }
  std::string host(url->host()), port = url->has_port() ? std::string(url->port()) : "80";
  std::string target(url->encoded_path());
  if (target.empty()) target = "/";
  if (url->has_query()) target += "?" + std::string(url->encoded_query());
  beast::error_code ec;
  tcp::resolver resolver(ex);
  auto results = co_await resolver.async_resolve(host, port, ec_token(ec));
  beast::tcp_stream stream(ex);
  stream.expires_after(kWebhookTimeout);
  if (!ec) co_await stream.async_connect(results, ec_token(ec));
  if (!ec) {
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, host + ":" + port);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "crewai-sim");
    for (const auto& [k, v] : o.headers) req.set(k, v);
    req.body() = std::move(o.body);
    req.prepare_payload();
    co_await http::async_write(stream, req, ec_token(ec));
  }
  http::response<http::string_body> res;
  if (!ec) {
    beast::flat_buffer buf;
    co_await http::async_read(stream, buf, res, ec_token(ec));
  }
  stream.socket().close(ec);
  s.api.webhook_done(!ec && res.result_int() < 300);
}

net::awaitable<void> pump(Impl& s, std::string id) {
  auto ex = co_await net::this_coro::executor;
  net::steady_timer timer(ex);
  for (;;) {
    std::vector<detail::Outgoing> out;
    auto next = s.api.due_webhooks(id, s.now(), out);
    for (auto& o : out) net::co_spawn(ex, deliver(s, std::move(o)), net::detached);
    if (!next) co_return;
    timer.expires_after(*next - s.now());  // `next` is on the options' clock
    beast::error_code ec;
    co_await timer.async_wait(ec_token(ec));
    if (ec) co_return;
  }
}

// After refusing a request whose body we did not read, read and discard the rest so the client sees
// the answer instead of a reset, then close.
net::awaitable<void> drain_and_close(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::array<char, 16384> sink;
  std::size_t total = 0;
  stream.expires_after(5s);
  while (!ec && total < kDrainLimit)
    total += co_await stream.async_read_some(net::buffer(sink), ec_token(ec));
  stream.socket().close(ec);
}

net::awaitable<bool> answer_parse_error(Impl& s, beast::tcp_stream& stream, beast::error_code ec,
                                        http::request_parser<http::string_body>& parser) {
  if (ec.category() != http::make_error_code(http::error::body_limit).category()) co_return false;
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) co_return false;
  bool too_big = ec == http::error::body_limit;
  std::string method, target;
  if (parser.is_header_done()) {
    method = std::string(parser.get().method_string());
    target = std::string(parser.get().target());
  }
  auto r = s.api.reject(method, target, too_big ? 413 : 400,
                        too_big ? "Request body exceeds the limit of " +
                                      std::to_string(s.opts.max_body_bytes) + " bytes"
                                : "Malformed HTTP request: " + ec.message());
  const std::string bytes = detail::wire_bytes(detail::to_message(std::move(r), 11, false));
  beast::error_code wec;
  stream.expires_after(10s);
  co_await net::async_write(stream, net::buffer(bytes), ec_token(wec));
  co_await drain_and_close(stream);
  co_return true;
}

net::awaitable<void> session(Impl& s, beast::tcp_stream stream) {
  auto ex = co_await net::this_coro::executor;
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(s.opts.max_body_bytes);
    parser.header_limit(kHeaderLimit);
    stream.expires_after(kIdleTimeout);
    beast::error_code ec;
    co_await http::async_read(stream, buffer, parser, ec_token(ec));
    if (ec) {
      co_await answer_parse_error(s, stream, ec, parser);
      co_return;
    }
    auto& req = parser.get();
    detail::Request in{std::string(req.method_string()), std::string(req.target()),
                       std::string(req[http::field::authorization]), std::move(req.body())};
    auto out = s.api.handle(in, s.now());
    for (auto& id : out.pump) net::co_spawn(ex, pump(s, id), net::detached);
    if (out.delay.count() > 0) {
      net::steady_timer timer(ex, out.delay);
      co_await timer.async_wait(ec_token(ec));
      if (ec) co_return;
    }
    if (out.action == detail::Response::Action::reset) {
      stream.socket().set_option(net::socket_base::linger(true, 0), ec);
      stream.socket().close(ec);
      co_return;
    }
    if (out.action == detail::Response::Action::drop) {
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream.socket().close(ec);
      co_return;
    }
    bool keep = req.keep_alive();
    const std::string bytes =
        detail::wire_bytes(detail::to_message(std::move(out), req.version(), keep));
    stream.expires_after(kIdleTimeout);
    co_await net::async_write(stream, net::buffer(bytes), ec_token(ec));
    if (ec) co_return;
    if (!keep) {
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
  }
}

void start_session(Impl& s, tcp::socket sock) {
  beast::error_code ec;
  sock.set_option(tcp::no_delay(true), ec);
  auto sex = sock.get_executor();
  net::co_spawn(sex, session(s, beast::tcp_stream(std::move(sock))), [](std::exception_ptr) {});
}

net::awaitable<void> listen(Impl& s, tcp::acceptor acceptor) {
  net::steady_timer backoff(acceptor.get_executor());
  beast::error_code ec;
  acceptor.non_blocking(true, ec);
  const bool drain = !ec;  // a blocking accept on an empty queue would stall every connection
  for (;;) {
    tcp::socket sock(net::make_strand(*s.ioc));
    co_await acceptor.async_accept(sock, ec_token(ec));
    if (ec == net::error::operation_aborted) co_return;
    if (ec) {  // e.g. out of file descriptors: retry shortly instead of spinning
      backoff.expires_after(10ms);
      co_await backoff.async_wait(ec_token(ec));
      continue;
    }
    start_session(s, std::move(sock));
    if (drain)
      detail::accept_queued(
          acceptor, [&s] { return tcp::socket(net::make_strand(*s.ioc)); },
          [&s](tcp::socket more) { start_session(s, std::move(more)); });
  }
}

}  // namespace

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { stop(); }

tl::expected<std::unique_ptr<Server>, std::string> Server::start(ServerOptions opts) {
  if (!(opts.time_scale > 0.0)) return tl::unexpected<std::string>("time scale must be > 0");
  auto impl = std::make_unique<Impl>(std::move(opts));
  beast::error_code ec;
  auto addr = net::ip::make_address(impl->opts.host, ec);
  if (ec) return tl::unexpected<std::string>("invalid host address '" + impl->opts.host + "'");
  tcp::endpoint ep(addr, impl->opts.port);
  tcp::acceptor acceptor(*impl->ioc);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return tl::unexpected<std::string>("cannot listen on " + impl->opts.host + ":" +
                                       std::to_string(impl->opts.port) + ": " + ec.message());
  impl->bound = acceptor.local_endpoint();
  impl->api.set_base_url(base_url_of(impl->bound));
  net::co_spawn(*impl->ioc, listen(*impl, std::move(acceptor)), [](std::exception_ptr) {});
  int n = std::max(1, impl->opts.threads);
  for (int i = 0; i < n; ++i) impl->threads.emplace_back([ioc = impl->ioc.get()] { ioc->run(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

std::string Server::host() const { return impl_->bound.address().to_string(); }
std::uint16_t Server::port() const { return impl_->bound.port(); }
std::string Server::base_url() const {
  return base_url_of(impl_->bound);
}
nlohmann::json Server::stats() const { return impl_->api.stats(impl_->now()); }
void Server::reset_stats() { impl_->api.reset_stats(); }
void Server::set_faults(FaultConfig f) { impl_->api.set_faults(std::move(f)); }

void Server::stop() {
  if (!impl_) return;
  std::lock_guard lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->ioc->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->ioc.reset();  // destroys the suspended coroutines and closes their sockets
}

}  // namespace crewai::sim
