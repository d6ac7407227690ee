// The public Client: three forms of each call over the engine-thread operations in impl.hpp.
#include "crewai/client.hpp"

#include <future>

#include "client/impl.hpp"
#include "client/internal.hpp"
#include "protocol/hitl.hpp"

namespace crewai {
namespace {

// Runs `start(cb)` on the engine thread; `cb` gets the result there (or `cancelled` at once when
// the client is closing). User callbacks must not throw: an exception is swallowed rather than
// taking the engine thread down.
template <class T, class Start>
void start_call(Client::Impl& impl, Start start, std::function<void(Result<T>)> user_cb) {
  auto cb = [user_cb = std::move(user_cb)](Result<T> r) {
    try {
      user_cb(std::move(r));
    } catch (...) {
    }
  };
  impl.dispatch([start = std::move(start), cb]() mutable { start(std::move(cb)); },
                [cb] { cb(tl::unexpected(cancelled_error())); });
}

template <class T, class Start>
std::future<Result<T>> start_future(Client::Impl& impl, Start start) {
  auto p = std::make_shared<std::promise<Result<T>>>();
  auto f = p->get_future();
  start_call<T>(impl, std::move(start), [p](Result<T> r) { p->set_value(std::move(r)); });
  return f;
}

template <class T, class Start>
Result<T> run_sync(Client::Impl& impl, Start start) {
  if (impl.engine.on_engine_thread()) {
    return make_error(ErrorCode::internal,
                      "a synchronous Client call was made on the client's engine thread "
                      "(from a callback); use the async form there");
  }
  return start_future<T>(impl, std::move(start)).get();
}

}  // namespace

Result<Client> Client::create(ClientOptions options) {
  auto ok = client::validate(options);
  if (!ok) return tl::unexpected(ok.error());
  return Client(std::make_unique<Impl>(std::move(options)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

const ClientOptions& Client::options() const { return impl_->options; }

void Client::set_request_rate(double per_second) {
  impl_->dispatch([impl = impl_.get(), per_second] { impl->set_rate(per_second); }, [] {});
}

std::vector<std::string> Client::on_webhook(std::string_view body) {
  auto ids = protocol::webhook_kickoff_ids(body);
  for (const auto& id : ids) notify(id);
  return ids;
}

void Client::notify(const std::string& kickoff_id) {
  if (kickoff_id.empty()) return;
  impl_->dispatch([impl = impl_.get(), kickoff_id] { impl->wake(kickoff_id); }, [] {});
}

ClientStats Client::stats() const {
  ClientStats s;
  s.requests = impl_->n_requests.load();
  s.retries = impl_->n_retries.load();
  s.transport_failures = impl_->n_transport.load();
  s.http_429 = impl_->n_429.load();
  s.http_5xx = impl_->n_5xx.load();
  s.connections = impl_->engine.stats().connections_opened;
  return s;
}

using Names = std::vector<std::string>;

// ---- inputs ----
void Client::inputs_async(Callback<Names> cb) {
  start_call<Names>(*impl_, [impl = impl_.get()](auto done) { impl->do_inputs(std::move(done)); },
                    std::move(cb));
}
std::future<Result<Names>> Client::inputs_async() {
  return start_future<Names>(*impl_,
                             [impl = impl_.get()](auto done) { impl->do_inputs(std::move(done)); });
}
Result<Names> Client::inputs(std::stop_token stop) {
  return run_sync<Names>(*impl_, [impl = impl_.get(), stop](auto done) {
    impl->do_inputs(std::move(done), stop);
  });
}

// ---- kickoff ----
void Client::kickoff_async(KickoffRequest req, Callback<std::string> cb, std::stop_token stop) {
  start_call<std::string>(
      *impl_,
      [impl = impl_.get(), req = std::move(req), stop](auto done) mutable {
        impl->do_kickoff(std::move(req), std::move(done), stop);
      },
      std::move(cb));
}
std::future<Result<std::string>> Client::kickoff_async(KickoffRequest req) {
  return start_future<std::string>(*impl_, [impl = impl_.get(), req = std::move(req)](
                                               auto done) mutable {
    impl->do_kickoff(std::move(req), std::move(done));
  });
}
Result<std::string> Client::kickoff(const KickoffRequest& req, std::stop_token stop) {
  return run_sync<std::string>(*impl_, [impl = impl_.get(), req, stop](auto done) mutable {
    impl->do_kickoff(std::move(req), std::move(done), stop);
  });
}

// ---- status ----
void Client::status_async(std::string id, Callback<RunResult> cb) {
  start_call<RunResult>(
      *impl_,
      [impl = impl_.get(), id = std::move(id)](auto done) mutable {
        impl->do_status(std::move(id), std::move(done));
      },
      std::move(cb));
}
std::future<Result<RunResult>> Client::status_async(std::string id) {
  return start_future<RunResult>(*impl_, [impl = impl_.get(), id = std::move(id)](
                                             auto done) mutable {
    impl->do_status(std::move(id), std::move(done));
  });
}
Result<RunResult> Client::status(const std::string& id, std::stop_token stop) {
  return run_sync<RunResult>(*impl_, [impl = impl_.get(), id, stop](auto done) mutable {
    impl->do_status(std::move(id), std::move(done), stop);
  });
}

// ---- wait ----
void Client::wait_async(std::string id, WaitOptions opts, Callback<RunResult> cb) {
  start_call<RunResult>(
      *impl_,
      [impl = impl_.get(), id = std::move(id), opts = std::move(opts)](auto done) mutable {
        impl->do_wait(std::move(id), std::move(opts), Json(), std::move(done));
      },
      std::move(cb));
}
std::future<Result<RunResult>> Client::wait_async(std::string id, WaitOptions opts) {
  return start_future<RunResult>(
      *impl_, [impl = impl_.get(), id = std::move(id), opts = std::move(opts)](auto done) mutable {
        impl->do_wait(std::move(id), std::move(opts), Json(), std::move(done));
      });
}
Result<RunResult> Client::wait(const std::string& id, WaitOptions opts) {
  return run_sync<RunResult>(*impl_, [impl = impl_.get(), id, opts](auto done) mutable {
    impl->do_wait(std::move(id), std::move(opts), Json(), std::move(done));
  });
}

// ---- run ----
void Client::run_async(KickoffRequest req, WaitOptions opts, Callback<RunResult> cb) {
  start_call<RunResult>(
      *impl_,
      [impl = impl_.get(), req = std::move(req), opts = std::move(opts)](auto done) mutable {
        impl->do_run(std::move(req), std::move(opts), std::move(done));
      },
      std::move(cb));
}
std::future<Result<RunResult>> Client::run_async(KickoffRequest req, WaitOptions opts) {
  return start_future<RunResult>(
      *impl_, [impl = impl_.get(), req = std::move(req), opts = std::move(opts)](auto done) mutable {
        impl->do_run(std::move(req), std::move(opts), std::move(done));
      });
}
Result<RunResult> Client::run(const KickoffRequest& req, WaitOptions opts) {
  return run_sync<RunResult>(*impl_, [impl = impl_.get(), req, opts](auto done) mutable {
    impl->do_run(std::move(req), std::move(opts), std::move(done));
  });
}

// ---- resume ----
void Client::resume_async(ResumeRequest req, Callback<ResumeResponse> cb) {
  start_call<ResumeResponse>(
      *impl_,
      [impl = impl_.get(), req = std::move(req)](auto done) mutable {
        impl->do_resume(std::move(req), std::move(done));
      },
      std::move(cb));
}
std::future<Result<ResumeResponse>> Client::resume_async(ResumeRequest req) {
  return start_future<ResumeResponse>(*impl_, [impl = impl_.get(), req = std::move(req)](
                                                  auto done) mutable {
    impl->do_resume(std::move(req), std::move(done));
  });
}
Result<ResumeResponse> Client::resume(const ResumeRequest& req, std::stop_token stop) {
  return run_sync<ResumeResponse>(*impl_, [impl = impl_.get(), req, stop](auto done) mutable {
    impl->do_resume(std::move(req), std::move(done), stop);
  });
}

// ---- resume_and_wait ----
void Client::resume_and_wait_async(ResumeRequest req, WaitOptions opts, Callback<RunResult> cb) {
  start_call<RunResult>(
      *impl_,
      [impl = impl_.get(), req = std::move(req), opts = std::move(opts)](auto done) mutable {
        impl->do_resume_and_wait(std::move(req), std::move(opts), std::move(done));
      },
      std::move(cb));
}
std::future<Result<RunResult>> Client::resume_and_wait_async(ResumeRequest req, WaitOptions opts) {
  return start_future<RunResult>(
      *impl_, [impl = impl_.get(), req = std::move(req), opts = std::move(opts)](auto done) mutable {
        impl->do_resume_and_wait(std::move(req), std::move(opts), std::move(done));
      });
}
Result<RunResult> Client::resume_and_wait(const ResumeRequest& req, WaitOptions opts) {
  return run_sync<RunResult>(*impl_, [impl = impl_.get(), req, opts](auto done) mutable {
    impl->do_resume_and_wait(std::move(req), std::move(opts), std::move(done));
  });
}

// ---- answer_flow ----
void Client::answer_flow_async(FlowAnswer answer, Callback<ResumeResponse> cb) {
  start_call<ResumeResponse>(
      *impl_,
      [impl = impl_.get(), answer = std::move(answer)](auto done) mutable {
        impl->do_answer_flow(std::move(answer), std::move(done));
      },
      std::move(cb));
}
std::future<Result<ResumeResponse>> Client::answer_flow_async(FlowAnswer answer) {
  return start_future<ResumeResponse>(
      *impl_, [impl = impl_.get(), answer = std::move(answer)](auto done) mutable {
        impl->do_answer_flow(std::move(answer), std::move(done));
      });
}
Result<ResumeResponse> Client::answer_flow(const FlowAnswer& answer, std::stop_token stop) {
  return run_sync<ResumeResponse>(*impl_, [impl = impl_.get(), answer, stop](auto done) mutable {
    impl->do_answer_flow(std::move(answer), std::move(done), stop);
  });
}

// ---- cancel ----
void Client::cancel_async(std::string id, Callback<CancelResult> cb) {
  start_call<CancelResult>(
      *impl_,
      [impl = impl_.get(), id = std::move(id)](auto done) mutable {
        impl->do_cancel(std::move(id), std::move(done));
      },
      std::move(cb));
}
std::future<Result<CancelResult>> Client::cancel_async(std::string id) {
  return start_future<CancelResult>(*impl_, [impl = impl_.get(), id = std::move(id)](
                                                auto done) mutable {
    impl->do_cancel(std::move(id), std::move(done));
  });
}
Result<CancelResult> Client::cancel(const std::string& id) {
  return run_sync<CancelResult>(*impl_, [impl = impl_.get(), id](auto done) mutable {
    impl->do_cancel(std::move(id), std::move(done));
  });
}

}  // namespace crewai
