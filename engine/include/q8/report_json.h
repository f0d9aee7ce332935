#pragma once
// The JSON objects every tool writes for a run, made in one place so `q8bench` and the window's
// exports write the same keys with the same meaning (docs/metrics.md). Each returns the text of
// one JSON object; indent < 0 writes it on one line.
#include <string>
#include <vector>

#include "compare.h"
#include "generation.h"
#include "run_record.h"

namespace q8 {

// The record's fields under their struct names; the files as {"name", "bytes", "xxh3"}, the draft
// null when there is none.
std::string record_json(const RunRecord& record, int indent = -1);
// A result's figures and how it ended (no text): stop_reason, sampling, the metrics of
// generation.h under their names, and the speculative totals.
std::string result_json(const GenerationResult& result, int indent = -1);
// A comparison: prompt, max_tokens, sampling and one object per row ("config", "ran", "reason";
// for a row that ran, its result_json fields, weight_bytes, precision, the agreement with FP16,
// "record", "text" and "tokens").
std::string compare_json(const CompareRequest& request, const std::vector<CompareRow>& rows, int indent = 2);

}  // namespace q8
