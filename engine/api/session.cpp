// The public Session over the engine's inference sessions: the target's, and the draft's when
// speculative decoding is configured.
#include <q8/session.h>

#include <optional>

#include "generator.h"
#include "inference_session.h"
#include "model.h"
#include "speculative.h"

namespace q8 {

namespace {

SessionOptions target_options(const SessionConfig& c) {
    SessionOptions o;
    o.n_ctx = c.n_ctx;
    o.n_threads = c.n_threads;
    o.kv_type = c.f32_kv_cache ? KvType::F32 : KvType::F16;
    o.prompt_arithmetic = c.bf16_prompts ? BatchArithmetic::BF16 : BatchArithmetic::F32;
    return o;
}

}  // namespace

struct Session::Impl {
    Impl(std::shared_ptr<const Model> m, const SessionConfig& c)
        : model(std::move(m)), target(model, target_options(c)) {
        if (c.draft == nullptr && c.draft_layers <= 0) return;
        SessionOptions d = target_options(c);
        d.n_ctx = target.n_ctx();
        d.n_threads = target.pool().size();
        d.n_layers = c.draft_layers;
        if (c.draft != nullptr) check_same_vocabulary(*model, *c.draft);
        draft_model = c.draft;
        draft.emplace(c.draft != nullptr ? c.draft : model, d);
        speculative.draft = &*draft;
        speculative.options = c.speculative;
    }

    std::shared_ptr<const Model> model;
    std::shared_ptr<const Model> draft_model;  // null for no draft or a layer-skip draft
    InferenceSession target;
    std::optional<InferenceSession> draft;
    SpeculativeSetup speculative;
};

Session::Session(std::shared_ptr<const Model> model, const SessionConfig& config)
    : impl_(std::make_unique<Impl>(std::move(model), config)) {}

Session::~Session() = default;

GenerationResult Session::generate(const GenerationRequest& request, const GenerationCallbacks& callbacks,
                                   const std::atomic<bool>* cancel) {
    return q8::generate(impl_->target, request, callbacks, cancel, impl_->draft ? &impl_->speculative : nullptr);
}

int64_t Session::count_tokens(std::string_view text) const {
    return static_cast<int64_t>(impl_->model->tokenizer.encode(text, true, true).size());
}

void Session::clear_cache() {
    impl_->target.truncate(0);
    if (impl_->draft) impl_->draft->truncate(0);
}

bool Session::speculative() const { return impl_->draft.has_value(); }
int64_t Session::n_ctx() const { return impl_->target.n_ctx(); }
int Session::n_threads() const { return impl_->target.pool().size(); }
uint64_t Session::kv_cache_bytes() const {
    return impl_->target.kv_bytes() + (impl_->draft ? impl_->draft->kv_bytes() : 0);
}
const std::shared_ptr<const Model>& Session::model() const { return impl_->model; }
ModelInfo Session::info() const { return model_info(*impl_->model); }
ModelInfo Session::draft_info() const {
    return impl_->draft_model != nullptr ? model_info(*impl_->draft_model) : ModelInfo{};
}

}  // namespace q8
