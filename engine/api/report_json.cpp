// One JSON shape per object, for every tool that writes figures.
#include <q8/report_json.h>

#include <nlohmann/json.hpp>

namespace q8 {

namespace {

nlohmann::json file_json(const FileIdentity& f) {
    if (f.name.empty()) return nullptr;
    return {{"name", f.name}, {"bytes", f.bytes}, {"xxh3", f.xxh3}};
}

nlohmann::json record_object(const RunRecord& r) {
    return {{"cpu_model", r.cpu_model},
            {"kernel_path", r.kernel_path},
            {"avx512", r.avx512},
            {"avx512_vnni", r.avx512_vnni},
            {"avx512_bf16", r.avx512_bf16},
            {"amx", r.amx},
            {"threads", r.threads},
            {"n_ctx", r.n_ctx},
            {"configuration", r.configuration},
            {"precision", r.precision},
            {"model", file_json(r.model)},
            {"draft", file_json(r.draft)},
            {"engine_version", r.engine_version},
            {"date", r.date}};
}

nlohmann::json result_object(const GenerationResult& r) {
    const GenerationMetrics& m = r.metrics;
    const SpecTotals& s = m.speculative;
    return {
        {"stop_reason", std::string(stop_reason_name(r.reason))},
        {"sampling", r.sampling},
        {"prompt_tokens", m.prompt_tokens},
        {"reused_tokens", m.reused_tokens},
        {"generated_tokens", m.generated_tokens},
        {"time_to_first_token_s", m.time_to_first_token_s},
        {"prompt_tokens_per_s", m.prompt_tokens_per_s},
        {"decode_tokens_per_s", m.decode_tokens_per_s},
        {"total_s", m.total_s},
        {"resident_bytes", m.resident_bytes},
        {"peak_resident_bytes", m.peak_resident_bytes},
        {"speculative_steps", s.steps},
        {"paused_steps", s.paused_steps},
        {"drafted", s.drafted},
        {"accepted", s.accepted},
        {"acceptance_rate", s.acceptance_rate()},
        {"mean_accepted", s.mean_accepted()},
        {"tokens_per_step", s.tokens_per_step()},
        {"lookup_drafted", s.lookup_drafted},
        {"lookup_accepted", s.lookup_accepted},
        {"draft_s", s.draft_s},
        {"verify_s", s.verify_s},
    };
}

nlohmann::json row_object(const CompareRow& row) {
    nlohmann::json j = {
        {"config", std::string(compare_config_name(row.config))}, {"ran", row.ran}, {"reason", row.reason}};
    if (!row.ran) return j;
    j.update(result_object(row.result));
    j["weight_bytes"] = row.weight_bytes;
    j["precision"] = row.precision;
    if (row.compared_with_fp16) {
        j["speedup_vs_fp16"] = row.speedup_vs_fp16;
        j["identical_to_fp16"] = row.identical_to_fp16;
        j["first_difference"] = row.first_difference;
        j["matching_share"] = row.matching_share;
    }
    j["record"] = record_object(row.record);
    j["text"] = row.result.text;
    j["tokens"] = row.result.tokens;
    return j;
}

// Generated text may hold a token's bytes that are not whole UTF-8 characters: write U+FFFD for
// them instead of failing.
std::string dump(const nlohmann::json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string record_json(const RunRecord& record, int indent) { return dump(record_object(record), indent); }

std::string result_json(const GenerationResult& result, int indent) { return dump(result_object(result), indent); }

std::string compare_json(const CompareRequest& request, const std::vector<CompareRow>& rows, int indent) {
    nlohmann::json j = {{"prompt", request.prompt},
                        {"max_tokens", request.max_tokens},
                        {"sampling", compare_generation_request(request).sampling.describe()},
                        {"draft_k", request.speculative.k_max},
                        {"draft_lookup", request.speculative.lookup},
                        {"rows", nlohmann::json::array()}};
    for (const CompareRow& row : rows) j["rows"].push_back(row_object(row));
    return dump(j, indent);
}

}  // namespace q8
