// accept.hpp — taking connections off a listening socket (Asio only, no HTTP).
#pragma once

#include <cstddef>
#include <utility>

#include <boost/asio/ip/tcp.hpp>

namespace crewai::sim::detail {

// Accepts every connection waiting in the listen queue of `acceptor` (set non-blocking) right now,
// each on a socket from `make_socket()`, and hands each to `take`; returns how many. The server runs
// it after each asynchronous accept: a coroutine resumes only after the handlers queued before it,
// so taking one connection per resumption made 2,000 connecting clients wait seconds behind the
// requests of those already in (bench/sim_wrk.sh's p99 of 6.3 s). Errors other than an empty queue
// are left for the next asynchronous accept to report.
template <class MakeSocket, class Take>
std::size_t accept_queued(boost::asio::ip::tcp::acceptor& acceptor, MakeSocket&& make_socket,
                          Take&& take) {
  std::size_t n = 0;
  for (;;) {
    auto socket = make_socket();
    boost::system::error_code ec;
    acceptor.accept(socket, ec);
    if (ec) return n;
    take(std::move(socket));
    ++n;
  }
}

}  // namespace crewai::sim::detail
