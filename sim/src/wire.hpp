// wire.hpp — an answer on the wire: Beast's message model (fields, keep-alive, Content-Length), its
// bytes written out in one string.
#pragma once

#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api.hpp"

namespace crewai::sim::detail {

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// The HTTP message of an Api answer (Server, Content-Type, its headers, keep-alive, Content-Length).
HttpResponse to_message(Response&& r, unsigned version, bool keep);

// The bytes Beast's serializer writes for `res`: status line, field lines, blank line, body. Going
// through the serializer's buffer sequences cost more than all the rest of a request (callgrind: ~11k
// instructions a response, ~7k of them iterating the views), so the same lines are appended here;
// sim_core_test holds them to Beast's own output.
std::string wire_bytes(const HttpResponse& res);

}  // namespace crewai::sim::detail
