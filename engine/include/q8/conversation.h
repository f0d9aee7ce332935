#pragma once
// A conversation over a session: a system prompt and turns with roles, rendered into one prompt
// per reply. Each reply re-sends the history, and the session reuses the cached prefix. When the
// history no longer fits in the context with room for the answer, the oldest turns leave the
// context whole (a user turn with the answer that followed it), the system prompt stays, and the
// reply says how many left; a turn is never cut inside.
//
// A model with its own chat template (tokenizer.chat_template) has its turns laid out by that
// template, and its answer ends at the template's end-of-turn token (one of the model's
// end-of-generation tokens). A model without one, or with a template q8chat cannot render, gets
// the plain TurnFormat below, whose answer ends where the model starts the next "User:" line.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chat_template.h"
#include "generation.h"

namespace q8 {

class Session;

enum class Role { System, User, Assistant };

struct Turn {
    Role role = Role::User;
    std::string text;
};

// How turns become prompt text for models without a chat template (the built-in demo pair is a
// code model).
struct TurnFormat {
    std::string system_prefix = "System: ";
    std::string user_prefix = "User: ";
    std::string assistant_prefix = "Assistant: ";
    std::string turn_end = "\n\n";
};

struct ConversationReply {
    GenerationResult generation;
    int dropped_turns = 0;        // turns that left the context for this reply
    int64_t context_tokens = 0;   // prompt tokens sent (after dropping)
    int64_t reserved_tokens = 0;  // room kept for the answer
};

class Conversation {
public:
    // The session must outlive the conversation.
    explicit Conversation(Session& session, TurnFormat format = {});

    void set_system_prompt(std::string text);
    // Replaces the turns (a saved chat reopened, an answer to redo); every turn is in the context
    // again until the next reply decides what fits.
    void set_turns(std::vector<Turn> turns);
    const std::string& system_prompt() const { return system_; }
    // Every turn, including those no longer in the context.
    const std::vector<Turn>& turns() const { return turns_; }
    // Index of the first turn still in the context.
    size_t first_turn_in_context() const { return first_in_context_; }
    // What lays the turns out, for the window to show: "model's own (ChatML)", "plain (no
    // template in the model)", or "plain (the model's template is not supported: <why>)".
    const std::string& template_description() const { return template_description_; }

    // Adds the user's turn and generates the assistant's. `settings` gives max_tokens, sampling
    // and stop strings (its prompt is ignored). The answer is kept as a turn even when cancelled,
    // so nothing streamed is lost. Throws EngineError when even the system prompt and this turn
    // alone leave no room for an answer, or when the model's template refuses the conversation
    // (e.g. a system prompt for a model without a system role); nothing is added then.
    ConversationReply send(const std::string& user_text, const GenerationRequest& settings,
                           const GenerationCallbacks& callbacks = {}, const std::atomic<bool>* cancel = nullptr);
    // Replaces the last answer with a new one (the last turn must be the assistant's).
    ConversationReply regenerate(const GenerationRequest& settings, const GenerationCallbacks& callbacks = {},
                                 const std::atomic<bool>* cancel = nullptr);

private:
    std::string render(size_t first_turn) const;  // system prompt, turns from first_turn, open answer
    ConversationReply reply(const GenerationRequest& settings, const GenerationCallbacks& callbacks,
                            const std::atomic<bool>* cancel);

    Session& session_;
    TurnFormat format_;
    std::optional<ChatTemplate> template_;
    std::string template_description_;
    std::string bos_, eos_;
    bool tokenizer_adds_bos_ = false;
    std::string system_;
    std::vector<Turn> turns_;
    size_t first_in_context_ = 0;
};

}  // namespace q8
