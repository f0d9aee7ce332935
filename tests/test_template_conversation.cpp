// A model's own chat template from its GGUF file: read_model_info() reports it, a Conversation lays
// its turns out with it (the prompt it sends is the template's, token for token), a template the
// renderer refuses leaves the plain layout in use with the reason said, and a conversation the
// template refuses is not added to.
#include <QTemporaryDir>
#include <QtTest>

#include <q8/engine.h>

#include "gguf_reader.h"
#include "gguf_writer.h"

namespace {

const std::string kTarget = Q8_SOURCE_DIR "/resources/models/demo-target.gguf";

// ChatML, as the ChatML row of test_chat_template renders it.
constexpr const char* kChatML =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + "
    "'\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

// The demo model with tokenizer.chat_template set; every other key and tensor as they were.
std::string with_template(const QTemporaryDir& dir, const std::string& name, const std::string& chat_template) {
    const q8::GgufFile src(kTarget);
    q8::quant::GgufWriter w;
    for (const std::string& key : src.keys()) {
        if (key != "general.alignment") w.copy_key(src, key);
    }
    w.set_string("tokenizer.chat_template", chat_template);
    for (const q8::GgufTensorInfo& t : src.tensors()) {
        std::vector<uint64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
        w.add_tensor(t.name, t.type, ne,
                     [&t](std::vector<uint8_t>& out) { out.insert(out.end(), t.data, t.data + t.n_bytes); });
    }
    const std::string path = dir.filePath(QString::fromStdString(name)).toStdString();
    w.write(path);
    return path;
}

q8::GenerationRequest greedy(int64_t n) {
    q8::GenerationRequest r;
    r.max_tokens = n;
    r.sampling.temperature = 0;
    return r;
}

}  // namespace

class TestTemplateConversation : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

private slots:
    void the_models_template_lays_out_the_turns() {
        const std::string path = with_template(dir_, "chatml.gguf", kChatML);
        QCOMPARE(q8::read_model_info(path).chat_template, std::string(kChatML));
        q8::Session s(q8::load_model(path));
        q8::Conversation chat(s);
        QCOMPARE(chat.template_description(), std::string("model's own (ChatML)"));
        chat.set_system_prompt("You write Python.");
        const q8::ConversationReply first = chat.send("def add(a, b):", greedy(6));
        QCOMPARE(first.context_tokens,
                 s.count_tokens("<|im_start|>system\nYou write Python.<|im_end|>\n<|im_start|>user\ndef add(a, "
                                "b):<|im_end|>\n<|im_start|>assistant\n"));
        const std::string answer = chat.turns().back().text;
        const q8::ConversationReply second = chat.send("Now subtract.", greedy(4));
        QCOMPARE(
            second.context_tokens,
            s.count_tokens("<|im_start|>system\nYou write Python.<|im_end|>\n<|im_start|>user\ndef add(a, "
                           "b):<|im_end|>\n<|im_start|>assistant\n" +
                           answer + "<|im_end|>\n<|im_start|>user\nNow subtract.<|im_end|>\n<|im_start|>assistant\n"));
    }

    void a_template_the_renderer_refuses_leaves_the_plain_layout() {
        const std::string path = with_template(dir_, "macro.gguf", "{% macro turn(m) %}{{ m }}{% endmacro %}");
        q8::Session s(q8::load_model(path));
        q8::Conversation chat(s);
        QCOMPARE(chat.template_description(),
                 std::string("plain (the model's template is not supported: chat template line 1: the {% macro %} "
                             "statement is not supported by q8chat's template renderer)"));
        const q8::ConversationReply r = chat.send("def add(a, b):", greedy(4));
        QCOMPARE(r.context_tokens, s.count_tokens("User: def add(a, b):\n\nAssistant: "));
    }

    void a_conversation_the_template_refuses_is_not_added_to() {
        const std::string path = with_template(
            dir_, "nosystem.gguf",
            "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
            "{% for m in messages %}{{ m['content'] }}{% endfor %}");
        q8::Session s(q8::load_model(path));
        q8::Conversation chat(s);
        chat.set_system_prompt("Be brief.");
        QVERIFY_THROWS_EXCEPTION(q8::EngineError, chat.send("hello", greedy(4)));
        QVERIFY(chat.turns().empty());
        try {
            chat.send("hello", greedy(4));
        } catch (const q8::EngineError& e) {
            QCOMPARE(std::string(e.what()), std::string("System role not supported"));
        }
        chat.set_system_prompt("");
        chat.send("hello", greedy(2));
        QCOMPARE(chat.turns().size(), size_t{2});
    }

    void a_model_without_a_template_says_so() {
        q8::Session s(q8::load_model(kTarget));
        QCOMPARE(q8::Conversation(s).template_description(), std::string("plain (no template in the model)"));
    }
};

QTEST_GUILESS_MAIN(TestTemplateConversation)
#include "test_template_conversation.moc"
