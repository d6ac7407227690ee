#include "wire.hpp"

namespace crewai::sim::detail {

namespace http = boost::beast::http;

HttpResponse to_message(Response&& r, unsigned version, bool keep) {
  HttpResponse res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "crewai-sim");
  res.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.keep_alive(keep);
  res.body() = std::move(r.body);
  res.prepare_payload();
  return res;
}

std::string wire_bytes(const HttpResponse& res) {
  const unsigned version = res.version(), code = res.result_int();
  const auto reason = res.reason();  // the one set, else Beast's phrase for the code
  std::string out;
  out.reserve(64 + reason.size() + res.body().size() + 40 * 4);
  const char start[] = {'H', 'T', 'T', 'P', '/',
                        static_cast<char>('0' + version / 10), '.',
                        static_cast<char>('0' + version % 10), ' ',
                        static_cast<char>('0' + code / 100 % 10),
                        static_cast<char>('0' + code / 10 % 10),
                        static_cast<char>('0' + code % 10), ' '};
  out.append(start, sizeof start).append(reason.data(), reason.size()).append("\r\n");
  for (const auto& field : res) {
    const auto name = field.name_string();
    const auto value = field.value();
    out.append(name.data(), name.size()).append(": ").append(value.data(), value.size()).append("\r\n");
  }
  return out.append("\r\n").append(res.body());
}

}  // namespace crewai::sim::detail
