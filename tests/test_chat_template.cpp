// Chat templates: each supported family renders a conversation to the exact prompt its model card
// documents; the Jinja constructs those templates use behave as in Jinja (with Hugging Face's
// trim_blocks and lstrip_blocks); a construct outside the subset is refused with a message naming
// it and its line; hostile templates (endless loops, runaway output, deep nesting) end in an
// error, never a hang or a crash.
#include <QtTest>

#include <random>
#include <string>
#include <vector>

#include <q8/chat_template.h>
#include <q8/error.h>
#include <q8/system.h>

#include "chat_templates.h"

Q_DECLARE_METATYPE(std::string)

namespace {

using q8::TemplateMessage;
namespace t = q8test::templates;

const std::vector<TemplateMessage> kWithSystem{
    {"system", "You are terse."}, {"user", "Hello"}, {"assistant", "Hi there."}, {"user", "How are you?"}};
const std::vector<TemplateMessage> kNoSystem{{"user", "Hello"}, {"assistant", "Hi there."}, {"user", "How are you?"}};

std::string render(std::string_view source, std::vector<TemplateMessage> messages, bool generation_prompt = true,
                   std::string bos = "<s>", std::string eos = "</s>") {
    q8::TemplateInput in;
    in.messages = std::move(messages);
    in.add_generation_prompt = generation_prompt;
    in.bos_token = std::move(bos);
    in.eos_token = std::move(eos);
    return q8::ChatTemplate(source).render(in);
}

// Renders a template over no messages (for the small feature checks).
std::string render_plain(std::string_view source) { return render(source, {}); }

// The EngineError's message, or "" when nothing was thrown.
template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const q8::EngineError& e) {
        return e.what();
    }
    return {};
}

}  // namespace

class TestChatTemplate : public QObject {
    Q_OBJECT

private slots:
    // Expected prompts are the model cards' documented formats, written out by hand.
    void families_render_their_documented_prompts_data() {
        QTest::addColumn<std::string>("family");
        QTest::addColumn<std::string>("rendered");
        QTest::addColumn<std::string>("expected");

        QTest::newRow("Llama 2") << std::string("Llama 2") << render(t::kLlama2, kWithSystem)
                                 << std::string(
                                        "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHello [/INST] Hi there. "
                                        "</s><s>[INST] How are you? [/INST]");
        QTest::newRow("Llama 2, no system")
            << std::string("Llama 2") << render(t::kLlama2, kNoSystem)
            << std::string("<s>[INST] Hello [/INST] Hi there. </s><s>[INST] How are you? [/INST]");
        QTest::newRow("Mistral") << std::string("Mistral") << render(t::kMistral, kNoSystem)
                                 << std::string("<s>[INST] Hello [/INST]Hi there.</s> [INST] How are you? [/INST]");
        QTest::newRow("Mistral, system folded into the first turn")
            << std::string("Mistral") << render(t::kMistral, kWithSystem)
            << std::string("<s>[INST] You are terse.\n\nHello [/INST]Hi there.</s> [INST] How are you? [/INST]");
        QTest::newRow("Llama 3") << std::string("Llama 3")
                                 << render(t::kLlama3, kWithSystem, true, "<|begin_of_text|>", "<|eot_id|>")
                                 << std::string(
                                        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                                        "You are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
                                        "Hello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
                                        "Hi there.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
                                        "How are you?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
        QTest::newRow("ChatML") << std::string("ChatML") << render(t::kChatML, kWithSystem)
                                << std::string(
                                       "<|im_start|>system\nYou are terse.<|im_end|>\n"
                                       "<|im_start|>user\nHello<|im_end|>\n"
                                       "<|im_start|>assistant\nHi there.<|im_end|>\n"
                                       "<|im_start|>user\nHow are you?<|im_end|>\n"
                                       "<|im_start|>assistant\n");
        QTest::newRow("Qwen2, default system message")
            << std::string("ChatML") << render(t::kQwen2, kNoSystem, true, "", "<|im_end|>")
            << std::string(
                   "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                   "<|im_start|>user\nHello<|im_end|>\n"
                   "<|im_start|>assistant\nHi there.<|im_end|>\n"
                   "<|im_start|>user\nHow are you?<|im_end|>\n"
                   "<|im_start|>assistant\n");
        QTest::newRow("Qwen2, own system message")
            << std::string("ChatML") << render(t::kQwen2, kWithSystem, false, "", "<|im_end|>")
            << std::string(
                   "<|im_start|>system\nYou are terse.<|im_end|>\n"
                   "<|im_start|>user\nHello<|im_end|>\n"
                   "<|im_start|>assistant\nHi there.<|im_end|>\n"
                   "<|im_start|>user\nHow are you?<|im_end|>\n");
        QTest::newRow("Zephyr") << std::string("Zephyr") << render(t::kZephyr, kWithSystem)
                                << std::string(
                                       "<|system|>\nYou are terse.</s>\n<|user|>\nHello</s>\n"
                                       "<|assistant|>\nHi there.</s>\n<|user|>\nHow are you?</s>\n<|assistant|>\n");
        QTest::newRow("Phi-3") << std::string("Phi-3") << render(t::kPhi3, kWithSystem, true, "<s>", "<|endoftext|>")
                               << std::string(
                                      "<|system|>\nYou are terse.<|end|>\n<|user|>\nHello<|end|>\n"
                                      "<|assistant|>\nHi there.<|end|>\n<|user|>\nHow are you?<|end|>\n"
                                      "<|assistant|>\n");
        QTest::newRow("Phi-3, no generation prompt")
            << std::string("Phi-3") << render(t::kPhi3, {{"user", "Hello"}}, false, "<s>", "<|endoftext|>")
            << std::string("<|user|>\nHello<|end|>\n<|endoftext|>");
        QTest::newRow("Gemma") << std::string("Gemma")
                               << render(t::kGemma,
                                         {{"user", " Hello "}, {"assistant", "Hi there."}, {"user", "How are you?"}},
                                         true, "<bos>", "<eos>")
                               << std::string(
                                      "<bos><start_of_turn>user\nHello<end_of_turn>\n"
                                      "<start_of_turn>model\nHi there.<end_of_turn>\n"
                                      "<start_of_turn>user\nHow are you?<end_of_turn>\n"
                                      "<start_of_turn>model\n");
        QTest::newRow("StarCoder2-Instruct")
            << std::string("StarCoder2-Instruct")
            << render(t::kStarCoder2Instruct, {{"user", "Write a function that adds two numbers."}}, true,
                      "<|endoftext|>", "<|endoftext|>")
            << std::string(
                   "<|endoftext|>You are an exceptionally intelligent coding assistant that consistently delivers "
                   "accurate and reliable responses to user instructions.\n\n"
                   "### Instruction\nWrite a function that adds two numbers.\n\n### Response\n");
        QTest::newRow("StarCoder2-Instruct, own system, two turns")
            << std::string("StarCoder2-Instruct")
            << render(t::kStarCoder2Instruct, kWithSystem, true, "<|endoftext|>", "<|endoftext|>")
            << std::string(
                   "<|endoftext|>You are terse.\n\n### Instruction\nHello\n\n### Response\nHi there.<|endoftext|>\n\n"
                   "### Instruction\nHow are you?\n\n### Response\n");
    }
    void families_render_their_documented_prompts() {
        QFETCH(std::string, rendered);
        QFETCH(std::string, expected);
        QCOMPARE(QString::fromStdString(rendered), QString::fromStdString(expected));
    }

    void families_are_recognised() {
        QCOMPARE(q8::ChatTemplate(t::kLlama2).family(), std::string("Llama 2"));
        QCOMPARE(q8::ChatTemplate(t::kMistral).family(), std::string("Mistral"));
        QCOMPARE(q8::ChatTemplate(t::kLlama3).family(), std::string("Llama 3"));
        QCOMPARE(q8::ChatTemplate(t::kChatML).family(), std::string("ChatML"));
        QCOMPARE(q8::ChatTemplate(t::kQwen2).family(), std::string("ChatML"));
        QCOMPARE(q8::ChatTemplate(t::kZephyr).family(), std::string("Zephyr"));
        QCOMPARE(q8::ChatTemplate(t::kPhi3).family(), std::string("Phi-3"));
        QCOMPARE(q8::ChatTemplate(t::kGemma).family(), std::string("Gemma"));
        QCOMPARE(q8::ChatTemplate(t::kStarCoder2Instruct).family(), std::string("StarCoder2-Instruct"));
        QCOMPARE(q8::template_family("{{ messages }}"), std::string("custom"));
    }

    // raise_exception's message reaches the caller as it is.
    void templates_refuse_conversations_they_do_not_allow() {
        const std::vector<TemplateMessage> two_users{{"user", "a"}, {"user", "b"}};
        const std::string alternate = "Conversation roles must alternate user/assistant/user/assistant/...";
        QCOMPARE(error_of([&] { render(t::kLlama2, two_users); }), alternate);
        QCOMPARE(error_of([&] { render(t::kGemma, two_users); }), alternate);
        QVERIFY(error_of([&] { render(t::kMistral, two_users); }).starts_with("After the optional system message"));
        QCOMPARE(error_of([&] { render(t::kGemma, kWithSystem); }), std::string("System role not supported"));
        QCOMPARE(error_of([&] {
                     render(t::kStarCoder2Instruct, {{"user", "a"}, {"tool", "b"}});
                 }),
                 std::string("Only user and assistant roles are supported after the system message"));
    }

    void constructs_behave_as_in_jinja_data() {
        QTest::addColumn<std::string>("source");
        QTest::addColumn<std::string>("expected");
        const auto row = [](const char* name, std::string source, std::string expected) {
            QTest::newRow(name) << source << expected;
        };
        row("text only", "plain text\n", "plain text\n");
        row("comment", "a{# note #}b", "ab");
        row("whitespace control", "a  {{- 'b' -}}  \n c {%- if true %} d{% endif %}", "abc d");
        row("trim_blocks and lstrip_blocks", "x\n  {% if true %}\n  y\n  {% endif %}\nz", "x\n  y\nz");
        row("{%+ keeps the indentation", "x\n  {%+ if true %}y{% endif %}", "x\n  y");
        row("output keeps its newline", "{{ 'a' }}\nb", "a\nb");
        row("loop variables",
            "{% for x in ['a', 'b', 'c'] %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.last }}"
            "{{ loop.length }}{{ loop.revindex }} {% endfor %}",
            "01TrueFalse33 12FalseFalse32 23FalseTrue31 ");
        row("loop else and filter",
            "{% for x in [1, 2, 3, 4] if x is even %}{{ x }}{% else %}none{% endfor %}|"
            "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}",
            "24|empty");
        row("loop over a map and its items",
            "{% for k in {'a': 1, 'b': 2} %}{{ k }}{% endfor %} {% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v "
            "}};{% endfor %}",
            "ab a=1;b=2;");
        row("set in a loop stays in the iteration",
            "{% set x = 'out' %}{% for i in [1, 2] %}{% set x = 'in' %}{{ x }}{% endfor %}{{ x }}", "ininout");
        row("namespace carries values out of a loop",
            "{% set ns = namespace(n=0, seen=false) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}"
            "{{ ns.n }} {{ ns.seen }}",
            "6 False");
        row("subscripts, attributes and slices",
            "{% set m = [{'role': 'a'}, {'role': 'b'}, {'role': 'c'}] %}{{ m[0]['role'] }}{{ m[-1].role }}"
            "{{ m[1:] | length }}{{ 'hello'[1:3] }}{{ 'hello'[::-1] }}{{ m[5] is defined }}",
            "ac2elollehFalse");
        row("arithmetic as Python", "{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 2 }} {{ 2 * 3 + 1 }} {{ 1 - 5 }}",
            "3 -4 1 7 -4");
        row("strings", "{{ 'a' + 'b' }}{{ 1 ~ 'x' ~ none }}{{ 'ell' in 'hello' }}{{ 'z' not in 'hello' }}",
            "ab1xNoneTrueTrue");
        row("logic returns operands",
            "{{ 0 or 'x' }}{{ 'y' and 'z' }}{{ not 0 }}{{ 1 if false else 2 }}{{ 3 if true }}", "xzTrue23");
        row("comparisons", "{{ 1 < 2 }}{{ 'b' >= 'a' }}{{ [1, 2] == [1, 2] }}{{ true == 1 }}{{ 2 in [1, 2] }}",
            "TrueTrueTrueTrueTrue");
        row("tests",
            "{{ x is defined }}{{ x is undefined }}{{ none is none }}{{ 'a' is string }}{{ 3 is odd }}"
            "{{ {} is mapping }}{{ 1 is not string }}",
            "FalseTrueTrueTrueTrueTrueTrue");
        row("filters",
            "{{ '  a b  ' | trim }}|{{ 'ab' | upper }}{{ 'AB' | lower }}|{{ x | default('d') }}|{{ '' | default('e', "
            "true) }}|"
            "{{ [1, 2, 3] | length }}{{ 'héllo' | length }}|{{ ['a', 'b'] | join(', ') }}|{{ 'aXbX' | replace('X', "
            "'-') }}|"
            "{{ 'hello world' | title }}{{ 'hELLO' | capitalize }}|{{ [1, 2] | first }}{{ [1, 2] | last }}|{{ '42' | "
            "int + 1 }}",
            "a b|ABab|d|e|35|a, b|a-b-|Hello WorldHello|12|43");
        row("tojson", "{{ {'a': [1, true, none], 'b': 'q\"\\n'} | tojson }}|{{ {'a': [1]} | tojson(indent=2) }}",
            "{\"a\": [1, true, null], \"b\": \"q\\\"\\n\"}|{\n  \"a\": [\n    1\n  ]\n}");
        row("string methods",
            "{{ '  x  '.strip() }}|{{ 'xxay'.lstrip('x') }}|{{ 'a b  c'.split() | length }}|{{ 'a,b'.split(',')[1] }}|"
            "{{ 'hello'.startswith('he') }}{{ 'hello'.endswith('x') }}|{{ 'ab'.upper() }}",
            "x|ay|3|b|TrueFalse|AB");
        row("map methods", "{{ {'a': 1}.get('a') }}{{ {'a': 1}.get('b', 9) }}{{ {'a': 1}.keys() | list | length }}",
            "191");
        row("printing values", "{{ true }} {{ none }} {{ [1, 'a'] }} {{ {'k': 'v'} }} {{ undefined_name }}",
            "True None [1, 'a'] {'k': 'v'} ");
        row("escapes in strings", "{{ 'a\\tb\\'c' }}{{ \"d\\\\e\" }}", "a\tb'cd\\e");
        row("dict literal closes before the tag", "{{ {'a': {'b': 1}}['a']['b'] }}", "1");
    }
    void constructs_behave_as_in_jinja() {
        QFETCH(std::string, source);
        QFETCH(std::string, expected);
        QCOMPARE(QString::fromStdString(render_plain(source)), QString::fromStdString(expected));
    }

    // Each refusal names what is not supported, or what is wrong, and the line.
    void unsupported_or_broken_templates_are_refused_by_name_data() {
        QTest::addColumn<std::string>("source");
        QTest::addColumn<std::string>("message");
        const auto row = [](const char* name, std::string source, std::string message) {
            QTest::newRow(name) << source << message;
        };
        row("macro", "ok\n{% macro m() %}x{% endmacro %}",
            "chat template line 2: the {% macro %} statement is not supported by q8chat's template renderer");
        row("include", "{% include 'other.jinja' %}",
            "chat template line 1: the {% include %} statement is not supported");
        row("unknown statement", "{% frobnicate %}",
            "chat template line 1: the {% frobnicate %} statement is not supported");
        row("unknown filter", "\n\n{{ 'a' | wordcount }}",
            "chat template line 3: the filter 'wordcount' is not supported");
        row("unknown test", "{{ 1 is prime }}", "chat template line 1: the test 'is prime' is not supported");
        row("unknown function", "{{ strftime_now('%Y') }}",
            "chat template line 1: the function 'strftime_now()' is not supported");
        row("unknown method", "{{ [1].append(2) }}",
            "chat template line 1: the method 'append()' of a list is not supported");
        row("set block", "{% set x %}y{% endset %}", "the {% set %} ... {% endset %} block is not supported");
        row("recursive loop", "{% for x in [] recursive %}{% endfor %}", "recursive loops is not supported");
        row("float literal", "{{ 1.5 }}", "floating-point number literals is not supported");
        row("true division", "{{ 3 / 2 }}",
            "'/' (it gives a floating-point number; '//' divides integers) is not supported");
        row("chained comparison", "{{ 1 < 2 < 3 }}", "chained comparisons (a < b < c) is not supported");
        row("power", "{{ 2 ** 3 }}", "the ** operator is not supported");
        row("unclosed if", "{% if true %}\nx", "chat template line 1: {% if %} is never closed with {% endif %}");
        row("unclosed for", "{% for x in [1] %}", "chat template line 1: {% for %} is never closed with {% endfor %}");
        row("stray endfor", "a\n{% endfor %}", "chat template line 2: {% endfor %} without a block it closes");
        row("unclosed output", "{{ 'a' ", "chat template line 1: a tag opened with {{ is never closed with }}");
        row("unclosed comment", "{# note", "chat template line 1: a comment {# is never closed with #}");
        row("unclosed string", "{{ 'abc }}", "chat template line 1: a string is never closed");
        row("bad character", "{{ a @ b }}", "chat template line 1: unexpected character '@'");
        row("missing operand", "{{ 1 + }}", "chat template line 1: expected a value but found '}}'");
        row("undefined attribute use", "{{ missing.role }}",
            "chat template line 1: 'missing' is undefined (reading .role)");
        row("undefined in arithmetic", "{{ missing + 1 }}", "'missing' is undefined (used with '+')");
        row("type error", "{{ 'a' + 1 }}", "chat template line 1: cannot apply '+' to string and integer");
        row("division by zero", "{{ 1 // 0 }}", "chat template line 1: division by zero");
        row("overflow", "{{ 9223372036854775807 + 1 }}", "chat template line 1: integer overflow");
        row("attribute set on a plain map", "{% set m = {} %}{% set m.a = 1 %}", "needs 'm' to be a namespace()");
        row("huge tojson indent", "{{ [[[[1]]]] | tojson(indent=1000000000) }}",
            "the filter 'tojson' with an indent of more than 64 spaces");
        row("loop over a number", "{% for x in 3 %}{% endfor %}", "chat template line 1: cannot loop over integer");
    }
    void unsupported_or_broken_templates_are_refused_by_name() {
        QFETCH(std::string, source);
        QFETCH(std::string, message);
        const std::string error = error_of([&] { render_plain(source); });
        QVERIFY2(error.find(message) != std::string::npos, ("got: " + error).c_str());
    }

    // None of these may hang, exhaust memory or overflow the stack.
    void hostile_templates_end_in_an_error() {
        QVERIFY(error_of([] {
                    render_plain("{% for i in range(100000000) %}{% endfor %}");
                }).find("range() of 100000000 items (more than 100000)") != std::string::npos);
        QVERIFY(error_of([] {
                    render_plain("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}");
                }).find("the loops ran more than 100000 times") != std::string::npos);
        // Doubling a string 64 times would need 2^64 bytes.
        QVERIFY(error_of([] {
                    render_plain(
                        "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
                        "{% endfor %}");
                }).find("MiB") != std::string::npos);
        QVERIFY(error_of([] {
                    render_plain(
                        "{% set ns = namespace(s='xx') %}{% for i in range(64) %}"
                        "{% set ns.s = ns.s | replace('x', 'xx') %}{% endfor %}");
                }).find("MiB") != std::string::npos);
        QVERIFY(error_of([] {
                    render_plain("{% for i in range(9000) %}" + std::string(2000, 'x') + "{% endfor %}");
                }).find("the output passed 16 MiB") != std::string::npos);
        // A 16 MiB string read in every iteration of a long loop, and a string extended by a line
        // in every iteration, stay under the output and iteration caps but copied terabytes: both
        // hung (found reading the renderer, confirmed with fuzz_chat_template).
        QVERIFY(error_of([] {
                    render_plain(
                        "{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for i in range(20) %}"
                        "{% set ns.s = ns.s + ns.s %}{% endfor %}"
                        "{% for i in range(99000) %}{% if ns.s %}{% endif %}{% endfor %}");
                }).find("the template handled more than 256 MiB of text") != std::string::npos);
        QVERIFY(error_of([] {
                    render_plain("{% set ns = namespace(s='') %}{% for i in range(99999) %}{% set ns.s = ns.s ~ '" +
                                 std::string(160, 'x') + "' %}{% endfor %}");
                }).find("the template handled more than 256 MiB of text") != std::string::npos);
        // Lists nested by a loop, and namespaces linked into chains, are refused as they are made.
        QVERIFY(error_of([] {
                    render_plain(
                        "{% set ns = namespace(x=[]) %}{% for i in range(50000) %}{% set ns.x = [ns.x] %}"
                        "{% endfor %}");
                }).find("a list or map nests deeper than 128 levels") != std::string::npos);
        QVERIFY(error_of([] {
                    render_plain("{% set a = namespace() %}{% set b = namespace(next=a) %}");
                }).find("a namespace() cannot be stored in a list, a map or another namespace") != std::string::npos);
        QVERIFY(error_of([] {
                    render_plain("{% set a = namespace() %}{% set a.self = a %}");
                }).find("cannot be stored") != std::string::npos);
        QVERIFY(error_of([] { render_plain("{% set a = namespace() %}{{ [a] }}"); }).find("cannot be stored") !=
                std::string::npos);
        const std::string deep_parens = std::string(100000, '(') + "1" + std::string(100000, ')');
        QVERIFY(error_of([&] { render_plain("{{ " + deep_parens + " }}"); }).find("nests deeper than 64") !=
                std::string::npos);
        std::string deep_ifs;
        for (int i = 0; i < 10000; ++i) deep_ifs += "{% if true %}";
        QVERIFY(error_of([&] { render_plain(deep_ifs); }).find("nests deeper than 64") != std::string::npos);
        const std::string deep_nots = "{{ " + [] {
            std::string s;
            for (int i = 0; i < 100000; ++i) s += "not ";
            return s;
        }() + "1 }}";
        QVERIFY(error_of([&] { render_plain(deep_nots); }).find("nests deeper than 64") != std::string::npos);
    }

    // `in`, split() and replace() search with their own linear-time search: it must find what
    // std::string::find finds. Short strings over two letters hold every overlap and period.
    void substring_search_agrees_with_find() {
        std::mt19937 rng(7);
        const auto random_text = [&](size_t max_length) {
            std::string s(rng() % (max_length + 1), 'a');
            for (char& c : s) c = rng() % 2 ? 'a' : 'b';
            return s;
        };
        for (int i = 0; i < 500; ++i) {
            const std::string hay = random_text(12), needle = random_text(4) + "a";
            std::string parts, replaced, replaced_once;
            size_t pos = 0;
            for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, pos)) {
                parts += hay.substr(pos, at - pos) + "/";
                replaced += hay.substr(pos, at - pos) + "-";
                if (pos == 0) replaced_once = replaced + hay.substr(at + needle.size());
                pos = at + needle.size();
            }
            parts += hay.substr(pos);
            replaced += hay.substr(pos);
            if (replaced_once.empty()) replaced_once = hay;
            const std::string h = "'" + hay + "'", n = "'" + needle + "'";
            QCOMPARE(render_plain("{{ " + n + " in " + h + " }}|{{ " + h + ".split(" + n + ") | join('/') }}|{{ " + h +
                                  " | replace(" + n + ", '-') }}|{{ " + h + " | replace(" + n + ", '-', 1) }}"),
                     std::string(hay.find(needle) != std::string::npos ? "True" : "False") + "|" + parts + "|" +
                         replaced + "|" + replaced_once);
        }
    }

    // Each of these took minutes, or tried to allocate terabytes, before search was linear and
    // replace() and join() checked their result's size before building it.
    void hostile_searches_and_results_end_quickly() {
        // 2 MiB of 'a' then a 'b', looked for in 4 MiB of 'a': std::string::find compared 2 MiB at
        // each of 2 million positions.
        const std::string strings =
            "{% set ns = namespace(s='aaaaaaaaaaaaaaaa') %}{% for i in range(17) %}{% set ns.s = ns.s ~ ns.s %}"
            "{% endfor %}{% set needle = ns.s ~ 'b' %}{% set hay = ns.s ~ ns.s %}";
        const auto check = [&](const std::string& use, const std::string& expected) {
            QElapsedTimer timer;
            timer.start();
            std::string result;
            const std::string error = error_of([&] { result = render_plain(strings + use); });
            QVERIFY2(timer.elapsed() < 10'000, use.c_str());
            QCOMPARE(error.empty() ? result : error, expected);
        };
        check("{{ needle in hay }}", "False");
        check("{{ hay.split(needle) | length }}", "1");
        check("{{ (hay | replace(needle, 'x')) == hay }}", "True");
        // 8 TiB and 200 GiB once built.
        check("{{ hay | replace('a', needle) }}", "chat template line 1: a string grew past 16 MiB");
        check("{{ range(100000) | join(needle) }}", "chat template line 1: a string grew past 16 MiB");
        // 4 million parts (some 200 MiB) once built: refused as the list grows.
        q8::reset_peak_resident_memory();
        const uint64_t before = q8::resident_memory_bytes();
        const std::string too_many = "chat template line 1: a list grew past 100000 items";
        check("{{ hay.split('a') | length }}", too_many);
        check("{{ (hay | replace('a', 'a ')).split() | length }}", too_many);
        const uint64_t grown = q8::peak_resident_memory_bytes() - before;
        QVERIFY2(grown < 64ull << 20, qPrintable(QString::number(grown >> 20) + " MiB"));
    }

    void tokenizer_config_templates_are_read() {
        QTemporaryDir dir;
        const auto write = [&](const char* name, const QByteArray& json) {
            const QString path = dir.filePath(name);
            QFile f(path);
            f.open(QIODevice::WriteOnly);
            f.write(json);
            return path.toStdString();
        };
        QCOMPARE(q8::read_tokenizer_config_template(write("a.json", R"({"chat_template": "{{ 1 }}"})")),
                 std::string("{{ 1 }}"));
        QCOMPARE(
            q8::read_tokenizer_config_template(write(
                "b.json",
                R"({"chat_template": [{"name": "tool_use", "template": "t"}, {"name": "default", "template": "d"}]})")),
            std::string("d"));
        QVERIFY(error_of([&] {
                    q8::read_tokenizer_config_template(write("c.json", R"({"bos_token": "<s>"})"));
                }).ends_with("has no chat_template"));
        QVERIFY(error_of([&] {
                    q8::read_tokenizer_config_template(write("d.json", "not json"));
                }).ends_with("is not a JSON object"));
        QVERIFY(error_of([&] {
                    q8::read_tokenizer_config_template(dir.filePath("missing.json").toStdString());
                }).starts_with("cannot open"));
    }
};

QTEST_GUILESS_MAIN(TestChatTemplate)
#include "test_chat_template.moc"
