#include "batch/output_writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/json_util.hpp"

namespace crewai::batch {
namespace {

constexpr std::size_t kBufferBytes = 64 * 1024;
// A reader of the file (a watcher of `.partial`) sees the lines at least every this many records,
// besides flush(): one write per block of lines instead of one per line.
constexpr std::size_t kFlushLines = 64;

Error write_error(const std::string& path) {
  Error e;
  e.code = ErrorCode::unavailable;
  e.message = "cannot write results to " + path + ": " + std::strerror(errno);
  return e;
}

// Writes the results line's object: keys and separators directly, each value through the one
// serialiser (protocol::JsonAppender), so escaping and numbers are written as everywhere else.
class LineWriter {
 public:
  explicit LineWriter(std::string& out) : out_(out), json_(out) {}

  LineWriter& begin() {
    out_ += '{';
    first_ = true;
    return *this;
  }
  void end() {
    out_ += '}';
    first_ = false;
  }
  // The line's own key names: plain ASCII, nothing to escape.
  LineWriter& key(std::string_view name) {
    if (!std::exchange(first_, false)) out_ += ',';
    out_ += '"';
    out_ += name;
    out_ += "\":";
    return *this;
  }
  void null() { out_ += "null"; }
  void text(std::string_view s) { json_.string(s); }
  void json(const Json& j) { json_.value(j); }
  template <class T>
  void number(T n) {
    json_.value(Json(n));
  }
  void texts(const std::vector<std::string>& list) {
    out_ += '[';
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i > 0) out_ += ',';
      text(list[i]);
    }
    out_ += ']';
  }
  void optional_text(const std::optional<std::string>& s) { s ? text(*s) : null(); }
  void optional_number(const std::optional<double>& n) { n ? number(*n) : null(); }

 private:
  std::string& out_;
  protocol::JsonAppender<Json> json_;
  bool first_ = true;
};

}  // namespace

// The record as the results file lays it out: a fixed field order, `state` for the outcome and a
// `pause` object only when paused. Written straight into the text: a DOM of the record (and a copy
// of result_json) was ~10% of a whole batch's CPU in a profile of 2,000 items (issue 13). The tests
// EveryRecordFieldIsInTheResultsLine (this field list and to_json's in step) and
// ResultsLineTextIsUnchanged (the exact text) keep it honest.
std::string results_line(const ItemRecord& r) {
  std::string out;
  // ~400 bytes besides the strings; result_json is most often the result parsed: its size again.
  out.reserve(512 + 2 * (r.result ? r.result->size() : 0) + r.error.size());
  LineWriter w(out);
  w.begin();
  w.key("index").number(r.index);
  w.key("id").text(r.id);
  w.key("state").text(crewai::to_string(r.outcome));
  w.key("kickoff_id").text(r.kickoff_id);
  w.key("kickoff_ids").texts(r.kickoff_ids);
  w.key("request_id").text(r.request_id);
  w.key("result").optional_text(r.result);
  w.key("result_json").json(r.result_json);
  if (r.error.empty()) {
    w.key("error").null();  // null when none, never "" (docs/cli.md)
  } else {
    w.key("error").text(r.error);
  }
  w.key("attempts").number(r.attempts);
  w.key("run_state").text(r.run_state);
  if (r.pause_task_id || r.pause_task_output || r.pause_callback_url) {
    w.key("pause").begin();
    w.key("task_id").optional_text(r.pause_task_id);
    w.key("task_output").optional_text(r.pause_task_output);
    if (r.pause_callback_url) w.key("callback_url").text(*r.pause_callback_url);
    w.end();
  }
  w.key("started_at").optional_number(r.started_at);
  w.key("finished_at").optional_number(r.finished_at);
  w.key("duration_seconds").optional_number(r.duration_seconds);
  w.end();
  return out;
}

Result<ItemRecord> record_from_results_line(const Json& line) {
  if (!line.is_object()) return make_error(ErrorCode::protocol, "a results line is not a JSON object");
  Json j = line;
  if (!j.contains("outcome") && j.contains("state")) j["outcome"] = j["state"];
  if (const auto pause = j.find("pause"); pause != j.end() && pause->is_object()) {
    if (pause->contains("task_id")) j["pause_task_id"] = (*pause)["task_id"];
    if (pause->contains("task_output")) j["pause_task_output"] = (*pause)["task_output"];
    if (pause->contains("callback_url")) j["pause_callback_url"] = (*pause)["callback_url"];
  }
  return crewai::record_from_json(j);
}

std::string partial_path(const std::string& path) { return path + ".partial"; }

Result<std::unique_ptr<OutputWriter>> OutputWriter::open(const std::string& path, bool ordered,
                                                         std::size_t total, Mode mode) {
  if (path == "-") {
    return std::unique_ptr<OutputWriter>(new OutputWriter(stdout, false, "stdout", ordered, total));
  }
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (mode == Mode::replace && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    mode = Mode::in_place;  // a pipe or a device: nothing to replace, nothing to rename over
  }
  const std::string target = mode == Mode::replace ? partial_path(path) : path;
  std::FILE* f = std::fopen(target.c_str(), mode == Mode::append ? "ab" : "wb");
  if (f == nullptr) {
    return make_error(ErrorCode::invalid_argument,
                      "cannot open results file " + target + ": " + std::strerror(errno));
  }
  auto w = std::unique_ptr<OutputWriter>(new OutputWriter(f, true, target, ordered, total));
  if (mode == Mode::replace) w->final_path_ = path;
  return w;
}

OutputWriter::OutputWriter(std::FILE* file, bool owned, std::string path, bool ordered, std::size_t total)
    : file_(file), owned_(owned), flush_each_(!owned), path_(std::move(path)), ordered_(ordered),
      total_(total), seen_(total, false) {
  // Before any I/O on the stream; a failure keeps stdio's default buffer.
  // glibc ignores the size when it allocates the buffer itself (it takes the block size, 4 KiB).
  if (owned_) {
    buffer_ = std::make_unique<char[]>(kBufferBytes);
    std::setvbuf(file_, buffer_.get(), _IOFBF, kBufferBytes);
  }
}

OutputWriter::~OutputWriter() { close(); }

void OutputWriter::close() {
  if (owned_ && file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

void OutputWriter::discard() {
  close();
  if (!final_path_.empty()) std::remove(path_.c_str());
}

// fsync before the rename: otherwise a power loss could leave the new name on an empty file.
Result<void> OutputWriter::commit() {
  if (::fsync(::fileno(file_)) != 0 && errno != EINVAL) return tl::unexpected(write_error(path_));
  close();
  if (std::rename(path_.c_str(), final_path_.c_str()) != 0) {
    Error e = write_error(final_path_);
    e.message = "cannot rename " + path_ + " to " + final_path_ + ": " + std::strerror(errno);
    return tl::unexpected(std::move(e));
  }
  return {};
}

Result<void> OutputWriter::emit(const std::string& line) {
  if (failure_) return tl::unexpected(*failure_);
  if (file_ == nullptr) return make_error(ErrorCode::internal, "results file " + path_ + " is closed");
  const bool flush_now = flush_each_ || ++unflushed_ >= kFlushLines;
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fputc('\n', file_) == EOF ||
      (flush_now && std::fflush(file_) != 0)) {
    failure_ = write_error(path_);
    return tl::unexpected(*failure_);
  }
  if (flush_now) unflushed_ = 0;
  return {};
}

void OutputWriter::advance() {
  while (next_ < total_ && seen_[next_] && !pending_.count(next_)) ++next_;
}

Result<void> OutputWriter::write(const ItemRecord& r) { return write(r, results_line(r)); }

Result<void> OutputWriter::flush() {
  if (failure_) return tl::unexpected(*failure_);
  if (file_ != nullptr && std::fflush(file_) != 0) {
    failure_ = write_error(path_);
    return tl::unexpected(*failure_);
  }
  unflushed_ = 0;
  return {};
}

Result<void> OutputWriter::write(const ItemRecord& r, std::string line) {
  if (r.index >= total_) {
    return make_error(ErrorCode::internal, "record index " + std::to_string(r.index) +
                                               " is out of range (" + std::to_string(total_) + " items)");
  }
  if (seen_[r.index]) {
    return make_error(ErrorCode::internal, "record " + std::to_string(r.index) + " written twice");
  }
  seen_[r.index] = true;
  if (!ordered_) return emit(line);
  if (r.index != next_) {
    pending_.emplace(r.index, std::move(line));
    return {};
  }
  if (auto w = emit(line); !w) return w;
  ++next_;
  return drain();
}

Result<void> OutputWriter::drain() {
  for (;;) {
    advance();
    auto it = pending_.find(next_);
    if (it == pending_.end()) return {};
    auto w = emit(it->second);
    pending_.erase(it);
    if (!w) return w;
    ++next_;
  }
}

void OutputWriter::mark_present(std::size_t index) {
  if (index >= total_ || seen_[index]) return;
  seen_[index] = true;
  if (ordered_ && index == next_) {
    (void)drain();  // a write failure is kept and reported by the next write() or finish()
  }
}

Result<void> OutputWriter::finish() {
  if (file_ == nullptr) return {};  // committed or discarded already
  std::size_t missing = 0;
  std::size_t first_missing = total_;
  for (std::size_t i = 0; i < total_; ++i) {
    if (!seen_[i]) {
      if (missing++ == 0) first_missing = i;
    }
  }
  for (auto& [index, line] : pending_) {
    if (auto w = emit(line); !w) return w;
  }
  pending_.clear();
  if (failure_) return tl::unexpected(*failure_);
  if (std::fflush(file_) != 0) return tl::unexpected(write_error(path_));
  if (ordered_ && missing > 0) {
    return make_error(ErrorCode::internal, "results are incomplete: " + std::to_string(missing) +
                                               " of " + std::to_string(total_) +
                                               " items have no record (first: index " +
                                               std::to_string(first_missing) + ")");
  }
  if (!final_path_.empty() && file_ != nullptr) return commit();
  return {};
}

}  // namespace crewai::batch
