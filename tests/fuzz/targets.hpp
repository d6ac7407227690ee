// tests/fuzz/targets.hpp — one fuzz input through each target, shared by the libFuzzer entry points
// (entry.cpp) and the regression replay test (tests/unit/fuzz_regression_test.cpp).
//
// Each function must not throw, crash or trip a sanitizer for any input; that is what is fuzzed.
// Not thread-safe: sim_request keeps one simulator state per configuration between inputs.
#pragma once

#include <string_view>

namespace crewai::fuzz {

// Status, error, kickoff/inputs/resume and HITL bodies through every protocol parser.
void status_one(std::string_view data);
// The data as a JSONL, CSV and sniffed input file; the items through hash_items.
void input_reader_one(std::string_view data);
// The data as a crew's text result: extract_json, RunResult::json/validated, validate_json.
void typed_output_one(std::string_view data);
// The data as one HTTP request to the simulator's API (format in targets/sim_request.cpp).
void sim_request_one(std::string_view data);
// Drops the simulator state kept by sim_request_one (a fresh deployment for the next input).
void sim_request_reset();

}  // namespace crewai::fuzz
