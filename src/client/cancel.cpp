// Client::cancel: POST /stop/{id}, and telling "no such run" from "no such route" on a 404.
//
// The live service's route is a docs preview (AMP-API.md, "Cancel"): a deployment on an older
// runtime has no /stop at all. FastAPI answers an unknown path with 404 {"detail": "Not Found"}
// and an unknown run with its own 404, but neither text is promised, so a 404 is settled by asking
// GET /status about the run: a run the deployment knows means the route is missing. FastAPI's
// exact route 404 means it too, whatever the run.
#include <string>

#include "client/impl.hpp"
#include "client/internal.hpp"
#include "protocol/requests.hpp"
#include "transport/url.hpp"

namespace crewai {
namespace {

using CancelCallback = std::function<void(Result<CancelResult>)>;

Error cannot_cancel(const std::string& id, int http_status, const std::string& why) {
  Error e;
  e.code = ErrorCode::unimplemented;
  e.http_status = http_status;
  e.kickoff_id = id;
  e.retry_safe = false;
  e.message = "this deployment cannot cancel runs (POST /stop/{id} " + why + ")";
  return e;
}

CancelResult already_ended(const std::string& id, RunState state, std::string raw,
                           std::string message) {
  CancelResult out;
  out.kickoff_id = id;
  out.stopped = false;
  out.state = state;
  out.raw_state = std::move(raw);
  out.message = std::move(message);
  return out;
}

}  // namespace

void Client::Impl::do_cancel(std::string id, CancelCallback cb) {
  Exchange ex{.call = protocol::CallKind::cancel,
              .method = "POST",
              .path = "/stop/" + transport::escape_segment(id),
              .body = "{}",
              .kickoff_id = id};
  auto op = start_op([cb](Error e) { cb(tl::unexpected(std::move(e))); });
  send(op, ex, [this, op, ex, id, cb](Answer a) {
    end_op(*op);
    const auto& r = a.response;
    const int status = static_cast<int>(r.status);
    if (r.failure == transport::Failure::none && status >= 200 && status < 300) {
      return cb(protocol::parse_stop_response(r.body, id));
    }
    if (r.failure != transport::Failure::none || (status != 400 && status != 404 && status != 405)) {
      return cb(tl::unexpected(transport_error(ex, a)));
    }
    if (status == 405) return cb(tl::unexpected(cannot_cancel(id, 405, "answered 405")));
    Error refused = transport_error(ex, a);
    if (status == 400) {
      if (auto named = protocol::state_named_in(refused.message); named && is_terminal(named->first)) {
        return cb(already_ended(id, named->first, named->second, refused.message));
      }
    }
    bool route_missing = protocol::is_missing_route(status, r.body);
    do_status(id, [id, cb, status, refused, route_missing](Result<RunResult> run) {
      if (run && status == 400 && run->is_terminal()) {
        return cb(already_ended(id, run->state, run->raw_state, refused.message));
      }
      if (status == 400) return cb(tl::unexpected(refused));
      // Both "no route" and "no such run": the deployment cannot cancel any run, say that.
      bool known = run && run->state != RunState::not_found;
      if (known || route_missing) {
        return cb(tl::unexpected(cannot_cancel(
            id, 404,
            known ? "answered 404 for run " + id + ", which GET /status reads " + run->raw_state
                  : "answered 404 \"Not Found\", FastAPI's answer for a missing route")));
      }
      Error e = refused;
      e.message = "run " + id + " is unknown to the deployment (POST /stop: " + refused.message + ")";
      cb(tl::unexpected(std::move(e)));
    });
  });
}

}  // namespace crewai
