// Arbitrary bytes as a chat template, parsed and rendered over a fixed small conversation (with
// and without a system message) as the window renders a model's template. Parsing and rendering
// must either succeed or throw EngineError, within the renderer's caps on time and memory; a
// template that renders must render the same text again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <q8/chat_template.h>
#include <q8/error.h>

namespace {

q8::TemplateInput conversation(bool with_system) {
    q8::TemplateInput in;
    if (with_system) in.messages.push_back({"system", "Answer briefly."});
    in.messages.push_back({"user", "Hi! What is 2 + 2?"});
    in.messages.push_back({"assistant", " It's 4.\n"});
    in.messages.push_back({"user", "And in Grüße-land, {{ 2 * 2 }}?"});
    in.add_generation_prompt = with_system;
    in.bos_token = "<s>";
    in.eos_token = "</s>";
    return in;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view source(reinterpret_cast<const char*>(data), size);
    (void)q8::template_family(source);
    try {
        const q8::ChatTemplate tpl(source);
        for (const bool with_system : {true, false}) {
            const q8::TemplateInput in = conversation(with_system);
            std::string first;
            try {
                first = tpl.render(in);
            } catch (const q8::EngineError&) {
                continue;  // raise_exception, an undefined name, a cap: the window shows the message
            }
            if (tpl.render(in) != first) __builtin_trap();
        }
    } catch (const q8::EngineError&) {
    }
    return 0;
}
