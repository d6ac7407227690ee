// batch/output_writer.hpp — the results file: one JSON line per item record.
//
// Each record is written as one line, either as records come (unordered) or in input order (ordered): a record that arrives ahead of a gap is held back until the gap fills, so
// memory is bounded by the out-of-order window. On resume, mark_present() names the indexes whose
// records an earlier run already wrote, so that the order skips them.
//
// Line format (see results_line): index, id, state, kickoff_id, kickoff_ids, request_id, result,
// result_json, error, attempts, run_state, pause {task_id, task_output} (only when paused),
// started_at, finished_at, duration_seconds; absent values are null.
//
// Lines are buffered and reach the file every 64 lines (or 64 KiB), on flush() and at finish():
// no write and no flush per record. A crash loses at most the buffer; the journal has those records
// and a resume writes them again. stdout ("-") is flushed per line, for a reader at the other end.
//
// Thread-compatible: one caller at a time.
#pragma once

#include <cstddef>
#include <cstdio>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "crewai/batch.hpp"
#include "crewai/error.hpp"

namespace crewai::batch {

// One results-file line (without the newline) for a record, and back (fields it does not know are
// ignored; an error when the line is not a record).
std::string results_line(const ItemRecord& r);
[[nodiscard]] Result<ItemRecord> record_from_results_line(const Json& line);

// Where Mode::replace writes until finish(): `<path>.partial`.
std::string partial_path(const std::string& path);

class OutputWriter {
 public:
  enum class Mode {
    in_place,  // truncate the file and write into it
    append,    // keep what an earlier run wrote
    // Write `<path>.partial`; finish() renames it over `path` once every record is written, so a
    // refusal, a failure or a crash at any point leaves an earlier results file as it was. A path
    // that exists and is not a regular file (a pipe, /dev/stdout) is written in place.
    replace,
  };
  // "-" writes to stdout. `total` is the number of items (ordered mode needs it to know when it is
  // done).
  [[nodiscard]] static Result<std::unique_ptr<OutputWriter>> open(const std::string& path, bool ordered,
                                                    std::size_t total, Mode mode = Mode::in_place);
  ~OutputWriter();
  OutputWriter(const OutputWriter&) = delete;
  OutputWriter& operator=(const OutputWriter&) = delete;

  // Errors: the index is out of range or was already written, or the write itself failed.
  [[nodiscard]] Result<void> write(const ItemRecord& r);
  // The same with the record's results line already made (results_line(r)).
  [[nodiscard]] Result<void> write(const ItemRecord& r, std::string line);
  // Hands the buffered lines to the file (crewctl does on each progress snapshot).
  [[nodiscard]] Result<void> flush();
  // Ordered mode: an index already written by a previous run; it is skipped in the order.
  void mark_present(std::size_t index);
  // Writes whatever is still held back (in index order) and flushes. Ordered mode: an error when
  // some index between 0 and total never got a record (the held-back records are written anyway).
  // Mode::replace: then syncs the file and renames it into place — only when every write succeeded
  // and nothing is missing; otherwise the `.partial` file stays, with what could be written.
  [[nodiscard]] Result<void> finish();
  // Mode::replace: drops the `.partial` file (the run ended before it produced results); the earlier
  // results file is untouched. Other modes: closes the file.
  void discard();

  std::size_t held_back() const noexcept { return pending_.size(); }

 private:
  OutputWriter(std::FILE* file, bool owned, std::string path, bool ordered, std::size_t total);
  [[nodiscard]] Result<void> commit();
  void close();
  [[nodiscard]] Result<void> emit(const std::string& line);
  void advance();
  [[nodiscard]] Result<void> drain();

  std::FILE* file_;
  bool owned_;
  bool flush_each_;  // stdout: a line at a time
  std::size_t unflushed_ = 0;  // lines written since the last flush
  std::unique_ptr<char[]> buffer_;  // the stream's buffer: freed after the stream is closed
  std::string path_;
  std::string final_path_;  // Mode::replace: where finish() renames path_ to; empty otherwise
  bool ordered_;
  std::size_t total_;
  std::vector<bool> seen_;  // written, held back, or marked present
  std::size_t next_ = 0;    // ordered: the first index not yet out
  std::map<std::size_t, std::string> pending_;
  std::optional<Error> failure_;
};

}  // namespace crewai::batch
