#include "integration/sim_http.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace crewai::test {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

bool is_reset(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::connection_reset ||
         ec == net::error::eof || ec == net::error::broken_pipe || ec == http::error::partial_message;
}

}  // namespace

struct HttpClient::Impl {
  net::io_context ioc;
  std::string host, port;
  std::chrono::milliseconds timeout;
  std::map<std::string, std::string> headers;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  void reconnect(beast::error_code& ec) {
    stream = std::make_unique<beast::tcp_stream>(ioc);
    buffer.clear();
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(host, port, ec);
    if (ec) return;
    stream->expires_after(timeout);
    stream->async_connect(results, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    run();
  }

  void run() {
    ioc.restart();
    ioc.run();
  }

  // Writes `bytes` or the request, then reads one response into `out`.
  template <class Message>
  void exchange(Message& msg, HttpResponse& out) {
    beast::error_code ec;
    stream->expires_after(timeout);
    http::async_write(*stream, msg, [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    read_answer(ec, out);
  }

  void read_answer(beast::error_code ec, HttpResponse& out) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(256u << 20);
    if (!ec) {
      stream->expires_after(timeout);
      http::async_read(*stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
      run();
    }
    if (ec) {
      out.reset = is_reset(ec);
      out.error = ec.message();
      stream.reset();
      return;
    }
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value());
    }
    out.body = std::move(res.body());
    if (!res.keep_alive()) stream.reset();
  }
};

HttpClient::HttpClient(const std::string& base_url, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  std::string rest = base_url.substr(base_url.find("://") + 3);
  auto colon = rest.rfind(':');
  impl_->host = rest.substr(0, colon);
  impl_->port = rest.substr(colon + 1);
  while (!impl_->port.empty() && impl_->port.back() == '/') impl_->port.pop_back();
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

void HttpClient::set_header(const std::string& name, const std::string& value) {
  impl_->headers[name] = value;
}
void HttpClient::clear_header(const std::string& name) { impl_->headers.erase(name); }

HttpResponse HttpClient::request(const std::string& method, const std::string& target,
                                 const std::string& body) {
  HttpResponse out;
  beast::error_code ec;
  if (!impl_->stream) impl_->reconnect(ec);
  if (ec) {
    out.error = ec.message();
    return out;
  }
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, impl_->host + ":" + impl_->port);
  for (const auto& [k, v] : impl_->headers) req.set(k, v);
  if (method == "POST" || !body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  req.keep_alive(true);
  impl_->exchange(req, out);
  return out;
}

HttpResponse HttpClient::raw(const std::string& bytes) {
  HttpResponse out;
  beast::error_code ec;
  impl_->reconnect(ec);
  if (!ec) {
    impl_->stream->expires_after(impl_->timeout);
    net::async_write(*impl_->stream, net::buffer(bytes), [&](beast::error_code e, std::size_t) { ec = e; });
    impl_->run();
  }
  impl_->read_answer(ec, out);
  impl_->stream.reset();
  return out;
}

}  // namespace crewai::test

#include <condition_variable>
#include <mutex>
#include <thread>

namespace crewai::test {

struct WebhookReceiver::Impl {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor{ioc};
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Hit> hits;
  std::uint16_t port = 0;

  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket sock) {
    namespace http = boost::beast::http;
    boost::beast::tcp_stream stream(std::move(sock));
    boost::beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      boost::beast::error_code ec;
      co_await http::async_read(stream, buf, req,
                                boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) co_return;
      {
        std::lock_guard lock(mu);
        Hit hit{std::string(req.target()),
                std::string(req[http::field::authorization]),
                nlohmann::json::parse(req.body(), nullptr, false),
                req.body(),
                {}};
        for (const auto& f : req) {
          std::string name(f.name_string());
          for (auto& ch : name)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          hit.headers[name] = std::string(f.value());
        }
        hits.push_back(std::move(hit));
      }
      cv.notify_all();
      http::response<http::string_body> res{http::status::ok, 11};
      res.body() = "ok";
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(stream, res,
                                 boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec || !req.keep_alive()) co_return;
    }
  }

  boost::asio::awaitable<void> accept() {
    for (;;) {
      boost::beast::error_code ec;
      auto sock = co_await acceptor.async_accept(
          boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) co_return;
      boost::asio::co_spawn(ioc, serve(std::move(sock)), boost::asio::detached);
    }
  }
};

WebhookReceiver::WebhookReceiver() : impl_(std::make_unique<Impl>()) {
  using tcp = boost::asio::ip::tcp;
  tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  boost::asio::co_spawn(impl_->ioc, impl_->accept(), boost::asio::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

WebhookReceiver::~WebhookReceiver() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::string WebhookReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + path;
}

std::vector<WebhookReceiver::Hit> WebhookReceiver::wait_for(const std::string& path, std::size_t n,
                                                            std::chrono::milliseconds deadline) {
  return wait_until(
      path, [n](const std::vector<Hit>& hits) { return hits.size() >= n; }, deadline);
}

std::vector<WebhookReceiver::Hit> WebhookReceiver::wait_until(
    const std::string& path, const std::function<bool(const std::vector<Hit>&)>& done,
    std::chrono::milliseconds deadline) {
  std::unique_lock lock(impl_->mu);
  std::vector<Hit> out;
  impl_->cv.wait_for(lock, deadline, [&] {
    out.clear();
    for (const auto& h : impl_->hits)
      if (path.empty() || h.target == path) out.push_back(h);
    return done(out);
  });
  return out;
}

}  // namespace crewai::test
