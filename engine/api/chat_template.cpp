// The public ChatTemplate over the template layer's parser and renderer.
#include <q8/chat_template.h>
#include <q8/error.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "jinja_parser.h"
#include "jinja_render.h"

namespace q8 {

struct TemplateProgram {
    jinja::Body body;
};

ChatTemplate::ChatTemplate(std::string_view source)
    : program_(std::make_shared<const TemplateProgram>(TemplateProgram{jinja::parse(source)})),
      family_(template_family(source)) {}

std::string ChatTemplate::render(const TemplateInput& input) const {
    jinja::List messages;
    for (const TemplateMessage& m : input.messages) {
        messages.emplace_back(jinja::Map{{"role", m.role}, {"content", m.content}});
    }
    const jinja::Map variables{{"messages", std::move(messages)},
                               {"add_generation_prompt", input.add_generation_prompt},
                               {"bos_token", input.bos_token},
                               {"eos_token", input.eos_token}};
    return jinja::render(program_->body, variables);
}

std::string template_family(std::string_view s) {
    const auto has = [&](std::string_view marker) { return s.find(marker) != std::string_view::npos; };
    if (has("<|im_start|>")) return "ChatML";
    if (has("<|start_header_id|>")) return "Llama 3";
    if (has("<start_of_turn>")) return "Gemma";
    if (has("<|user|>")) return has("<|end|>") ? "Phi-3" : "Zephyr";
    if (has("[INST]")) return has("<<SYS>>") ? "Llama 2" : "Mistral";
    if (has("### Instruction")) return "StarCoder2-Instruct";
    return "custom";
}

std::string read_tokenizer_config_template(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw EngineError("cannot open " + path);
    const nlohmann::json config = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (config.is_discarded() || !config.is_object()) throw EngineError(path + " is not a JSON object");
    const auto t = config.find("chat_template");
    if (t == config.end()) throw EngineError(path + " has no chat_template");
    if (t->is_string()) return t->get<std::string>();
    if (t->is_array()) {
        for (const auto& named : *t) {
            if (named.is_object() && named.value("name", "") == "default" && named.contains("template") &&
                named["template"].is_string()) {
                return named["template"].get<std::string>();
            }
        }
        throw EngineError(path + ": chat_template is a list without a template named \"default\"");
    }
    throw EngineError(path + ": chat_template is neither a string nor a list of named templates");
}

}  // namespace q8
