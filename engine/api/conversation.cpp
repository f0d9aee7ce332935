// Turns rendered into one prompt per reply, with whole old turns leaving the context when the
// history outgrows it.
#include <q8/conversation.h>

#include <spdlog/spdlog.h>

#include <algorithm>

#include <q8/error.h>
#include <q8/session.h>

namespace q8 {

namespace {

// The role names chat templates test for.
std::string role_name(Role r) {
    switch (r) {
    case Role::System: return "system";
    case Role::User: return "user";
    case Role::Assistant: return "assistant";
    }
    return "user";
}

}  // namespace

Conversation::Conversation(Session& session, TurnFormat format) : session_(session), format_(std::move(format)) {
    const ModelInfo info = session_.info();
    bos_ = info.special.bos.text;
    eos_ = info.special.eos.text;
    tokenizer_adds_bos_ = info.special.adds_bos;
    if (info.chat_template.empty()) {
        template_description_ = "plain (no template in the model)";
        return;
    }
    try {
        template_.emplace(info.chat_template);
        template_description_ = "model's own (" + template_->family() + ")";
    } catch (const EngineError& e) {
        // The chat still works in the plain layout; the window says why the model's is not used.
        template_description_ = std::string("plain (the model's template is not supported: ") + e.what() + ")";
        spdlog::warn("{}: {}", info.name, template_description_);
    }
}

void Conversation::set_system_prompt(std::string text) { system_ = std::move(text); }

void Conversation::set_turns(std::vector<Turn> turns) {
    turns_ = std::move(turns);
    first_in_context_ = 0;
}

std::string Conversation::render(size_t first_turn) const {
    if (template_) {
        TemplateInput in;
        if (!system_.empty()) in.messages.push_back({"system", system_});
        for (size_t i = first_turn; i < turns_.size(); ++i) {
            in.messages.push_back({role_name(turns_[i].role), turns_[i].text});
        }
        in.bos_token = bos_;
        in.eos_token = eos_;
        std::string p = template_->render(in);
        // Templates write BOS themselves; the tokenizer adds one too when its vocabulary says so.
        if (tokenizer_adds_bos_ && !bos_.empty() && p.starts_with(bos_)) p.erase(0, bos_.size());
        return p;
    }
    std::string p;
    if (!system_.empty()) p += format_.system_prefix + system_ + format_.turn_end;
    for (size_t i = first_turn; i < turns_.size(); ++i) {
        const Turn& t = turns_[i];
        p += (t.role == Role::User ? format_.user_prefix : format_.assistant_prefix) + t.text + format_.turn_end;
    }
    return p + format_.assistant_prefix;
}

ConversationReply Conversation::send(const std::string& user_text, const GenerationRequest& settings,
                                     const GenerationCallbacks& callbacks, const std::atomic<bool>* cancel) {
    if (user_text.empty()) throw EngineError("the message is empty: type something to send");
    turns_.push_back(Turn{Role::User, user_text});
    try {
        return reply(settings, callbacks, cancel);
    } catch (...) {
        turns_.pop_back();  // a refused message leaves the conversation as it was
        throw;
    }
}

ConversationReply Conversation::regenerate(const GenerationRequest& settings, const GenerationCallbacks& callbacks,
                                           const std::atomic<bool>* cancel) {
    if (turns_.empty() || turns_.back().role != Role::Assistant) {
        throw EngineError("there is no answer to regenerate");
    }
    Turn previous = std::move(turns_.back());
    turns_.pop_back();
    try {
        return reply(settings, callbacks, cancel);
    } catch (...) {
        turns_.push_back(std::move(previous));
        throw;
    }
}

ConversationReply Conversation::reply(const GenerationRequest& settings, const GenerationCallbacks& callbacks,
                                      const std::atomic<bool>* cancel) {
    ConversationReply r;
    const int64_t n_ctx = session_.n_ctx();
    r.reserved_tokens = std::clamp<int64_t>(settings.max_tokens, 1, n_ctx / 2);
    const size_t newest = turns_.size() - 1;  // the user turn being answered
    size_t first = first_in_context_;
    std::string prompt = render(first);
    r.context_tokens = session_.count_tokens(prompt);
    while (r.context_tokens + r.reserved_tokens > n_ctx) {
        if (first >= newest) {
            throw EngineError("the message needs " + std::to_string(r.context_tokens) +
                              " tokens with the system prompt, and the answer needs room for " +
                              std::to_string(r.reserved_tokens) + ", but the context holds " + std::to_string(n_ctx) +
                              ": shorten the message or the system prompt");
        }
        // A user turn leaves with the answers that followed it.
        do {
            ++first;
            ++r.dropped_turns;
        } while (first < newest && turns_[first].role != Role::User);
        prompt = render(first);
        r.context_tokens = session_.count_tokens(prompt);
    }
    first_in_context_ = first;

    GenerationRequest req = settings;
    req.prompt = std::move(prompt);
    if (!template_) {
        // The plain format has no end-of-turn token: the model's next "User:" line ends its answer.
        std::string next_user = format_.turn_end + format_.user_prefix;
        next_user.erase(next_user.find_last_not_of(' ') + 1);
        req.stop_strings.push_back(next_user);
    }
    r.generation = session_.generate(req, callbacks, cancel);
    turns_.push_back(Turn{Role::Assistant, r.generation.text});
    return r;
}

}  // namespace q8
