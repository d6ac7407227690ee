// `crewctl journal status|export|stop`: a batch's journal, file (SQLite) or postgresql://.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "batch/output_writer.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "shared_journal.hpp"

namespace crewctl {
namespace {

using crewai::ErrorCode;
using crewai::make_error;
using crewai::Result;

int fail(crewai::Error e, bool json) {
  if (e.code == ErrorCode::failed_precondition) e.code = ErrorCode::invalid_argument;
  print_error(e, json);
  return exit_code_for(e);
}

Result<std::unique_ptr<crewai::batch::Journal>> open_pg(const JournalArgs& a) {
  auto j = open_shared_batch(a.journal, a.batch_id);
  if (!j) return tl::unexpected(j.error());
  return std::unique_ptr<crewai::batch::Journal>(std::move(*j));
}

Result<std::unique_ptr<crewai::batch::Journal>> open_any(const JournalArgs& a) {
  if (is_shared_journal(a.journal)) return open_pg(a);
  if (!a.batch_id.empty()) return make_error(ErrorCode::invalid_argument, "--batch only applies to a shared journal");
  crewai::batch::SqliteJournalOptions o;
  o.reader = true;  // beside a batch that may be running
  if (!std::filesystem::exists(a.journal)) {
    return make_error(ErrorCode::invalid_argument, "--journal: there is no journal at " + a.journal);
  }
  return crewai::batch::open_sqlite_journal(a.journal, o);
}

crewai::Json status_json(const crewai::batch::JournalStatus& s, const std::string& journal) {
  crewai::Json workers = crewai::Json::array();
  for (const auto& w : s.workers) {
    workers.push_back({{"worker", w.worker_id}, {"host", w.host}, {"pid", w.pid}, {"finished", w.finished},
                       {"leased", w.leased}, {"seen_seconds_ago", w.seen_seconds_ago}, {"left", w.left}});
  }
  auto opt = [](const std::optional<double>& v) { return v ? crewai::Json(*v) : crewai::Json(); };
  return {{"journal", journal},
          {"batch", s.identity.batch_id},
          {"deployment", s.identity.deployment_url},
          {"items", s.identity.item_count},
          {"finished", s.finished},
          {"outcomes", s.outcomes},
          {"following", s.following},
          {"ambiguous_pending", s.ambiguous_pending},
          {"leased", s.leased},
          {"workers", workers},
          {"stop_reason", s.stop_reason ? crewai::Json(*s.stop_reason) : crewai::Json()},
          {"rate_per_second", opt(s.rate_per_second)},
          {"eta_seconds", opt(s.eta_seconds)}};
}

void print_status(const crewai::batch::JournalStatus& s, const std::string& journal) {
  std::cout << "journal   " << journal << "\nbatch     " << s.identity.batch_id << " (" << s.identity.deployment_url
            << ")\nprogress  " << s.finished << " / " << s.identity.item_count << " finished";
  for (const auto& [outcome, n] : s.outcomes) std::cout << ", " << n << " " << outcome;
  std::cout << "\nin flight " << s.following << " followed, " << s.ambiguous_pending
            << " with an intent and no kickoff id";
  if (!s.workers.empty()) std::cout << ", " << s.leased << " leased";
  std::cout << "\n";
  if (s.rate_per_second) {
    std::printf("rate      %.2f/s over the last minute, ETA %.0f s\n", *s.rate_per_second, s.eta_seconds.value_or(0));
  }
  if (s.stop_reason) std::cout << "stopped   " << *s.stop_reason << "\n";
  for (const auto& w : s.workers) {
    std::printf("worker    %s  finished %zu  leased %zu  %s\n", w.worker_id.c_str(), w.finished, w.leased,
                w.left ? "left" : ("seen " + std::to_string(static_cast<long>(w.seen_seconds_ago)) + " s ago").c_str());
  }
}

}  // namespace

int cmd_journal_status(const GlobalFlags& g, const JournalArgs& a) {
  auto j = open_any(a);
  if (!j) return fail(j.error(), g.json);
  auto* pg = dynamic_cast<crewai::batch::PgJournal*>(j->get());
  auto s = pg ? pg->status() : crewai::batch::basic_status(**j);
  if (!s) return fail(s.error(), g.json);
  if (g.json) {
    print_json(status_json(*s, (*j)->path()));
  } else {
    print_status(*s, (*j)->path());
  }
  return kExitOk;
}

int cmd_journal_export(const GlobalFlags& g, const JournalArgs& a) {
  auto j = open_any(a);
  if (!j) return fail(j.error(), g.json);
  auto id = (*j)->identity();
  if (!id) return fail(id.error(), g.json);
  if (!*id) return fail(make_error(ErrorCode::invalid_argument, "journal " + (*j)->path() + " holds no batch yet").value(), g.json);
  auto items = (*j)->load();
  if (!items) return fail(items.error(), g.json);
  auto writer = crewai::batch::OutputWriter::open(a.output, false, (*id)->item_count,
                                                  crewai::batch::OutputWriter::Mode::replace);
  if (!writer) return fail(writer.error(), g.json);
  std::size_t written = 0;
  for (const auto& item : *items) {
    if (!item.final_record) continue;
    if (auto ok = (*writer)->write(*item.final_record); !ok) return fail(ok.error(), g.json);
    ++written;
  }
  if (auto ok = (*writer)->finish(); !ok) return fail(ok.error(), g.json);
  if (written < (*id)->item_count) {
    std::cerr << "crewctl: " << (*id)->item_count - written << " of " << (*id)->item_count
              << " items have no final record yet (not exported)\n";
  }
  return kExitOk;
}

int cmd_journal_stop(const GlobalFlags& g, const JournalArgs& a) {
  if (!is_shared_journal(a.journal)) {
    return fail(make_error(ErrorCode::invalid_argument,
                           "journal stop needs a shared journal (postgresql://...); a file journal has one "
                           "process: interrupt it (Ctrl-C)").value(),
                g.json);
  }
  if (a.clear_stop) {
    auto pg = open_shared_batch(a.journal, a.batch_id);
    if (!pg) return fail(pg.error(), g.json);
    if (auto ok = (*pg)->clear_stop(); !ok) return fail(ok.error(), g.json);
    if (!g.quiet) std::cerr << "crewctl: stop lifted: workers that join or --resume the batch claim its items again\n";
    return kExitOk;
  }
  auto j = open_pg(a);
  if (!j) return fail(j.error(), g.json);
  (*j)->stop_batch(a.reason.empty() ? "crewctl journal stop" : a.reason);
  if (auto ok = (*j)->flush(); !ok) return fail(ok.error(), g.json);
  if (!g.quiet) std::cerr << "crewctl: batch stopped: workers kick off nothing more and follow their runs to the end\n";
  return kExitOk;
}

}  // namespace crewctl
