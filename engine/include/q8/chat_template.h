#pragma once
// A model's own chat template: the Jinja text in a GGUF file's tokenizer.chat_template (or the
// chat_template of a Hugging Face tokenizer_config.json) that lays out a conversation the way the
// model was trained on it. q8chat renders the subset of Jinja that the templates of Llama 2/3,
// Mistral, Qwen2, ChatML, Zephyr, Phi-3, Gemma and StarCoder2-Instruct use; docs/chat-templates.md
// lists it. Anything else is refused with an EngineError naming the construct and its line.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace q8 {

struct TemplateMessage {
    std::string role;  // "system", "user", "assistant" (the template decides what it accepts)
    std::string content;
};

// The variables a chat template sees.
struct TemplateInput {
    std::vector<TemplateMessage> messages;
    bool add_generation_prompt = true;  // end with the header that opens the assistant's answer
    std::string bos_token, eos_token;   // the model's token texts, e.g. "<s>" and "</s>"
};

struct TemplateProgram;  // the parsed template (engine/template/)

class ChatTemplate {
public:
    // Parses the template. Throws EngineError for a syntax error or an unsupported construct
    // ("chat template line 3: the {% macro %} statement is not supported ...").
    explicit ChatTemplate(std::string_view source);

    // Throws EngineError with the template's own message when it calls raise_exception (e.g.
    // roles that do not alternate), or naming the line of anything that fails while rendering. A
    // template cannot hang or exhaust memory: loops, output and nesting are capped.
    std::string render(const TemplateInput& input) const;

    // The layout the template writes, as template_family() names it.
    const std::string& family() const { return family_; }

private:
    std::shared_ptr<const TemplateProgram> program_;
    std::string family_;
};

// A short name for the prompt layout a template writes, recognised by its marker tokens:
// "ChatML", "Llama 3", "Llama 2", "Mistral", "Gemma", "Phi-3", "Zephyr", "StarCoder2-Instruct",
// or "custom" when none matches.
std::string template_family(std::string_view source);

// The chat_template of a Hugging Face tokenizer_config.json (a string, or a list of named
// templates of which "default" is used). Throws EngineError naming the file when it cannot be
// read or has no template.
std::string read_tokenizer_config_template(const std::string& path);

}  // namespace q8
