#pragma once
// Chat templates for the families q8chat renders, written for these tests in the style of each
// family's published template (the constructs they use: role checks with raise_exception, a
// system message folded into the first turn, header tokens, role renaming, trim filters,
// whitespace control). The expected prompts in test_chat_template.cpp are written by hand from
// each model card's documented prompt format, not produced by these templates.
#include <string_view>

namespace q8test::templates {

// Llama 2 chat: the system prompt inside <<SYS>> in the first [INST]; every exchange is its own
// <s>...</s> sequence; roles must alternate.
inline constexpr std::string_view kLlama2 =
    R"tpl({% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %})tpl";

// Mistral Instruct: one BOS, [INST] ... [/INST] around user turns, answers closed by EOS and a
// space; a system message is folded into the first user turn.
inline constexpr std::string_view kMistral = R"tpl({%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {%- if loop.first and system_message is defined %}
            {{- '[INST] ' + system_message + '\n\n' + message['content'] + ' [/INST]' }}
        {%- else %}
            {{- '[INST] ' + message['content'] + ' [/INST]' }}
        {%- endif %}
    {%- elif message['role'] == 'assistant' %}
        {{- message['content'] + eos_token + ' ' }}
    {%- else %}
        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}
    {%- endif %}
{%- endfor %}
)tpl";

// Llama 3 instruct: BOS once, then each message under its role's header, closed by <|eot_id|>.
inline constexpr std::string_view kLlama3 =
    R"tpl({% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %})tpl";

// ChatML: <|im_start|>role\n ... <|im_end|>\n for every message.
inline constexpr std::string_view kChatML = R"tpl({% for message in messages %}{{'<|im_start|>' + message['role'] + '
' + message['content'] + '<|im_end|>' + '
'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
' }}{% endif %})tpl";

// Qwen2 instruct: ChatML with a default system message when the conversation has none.
inline constexpr std::string_view kQwen2 =
    R"tpl({% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
You are a helpful assistant.<|im_end|>
' }}{% endif %}{{'<|im_start|>' + message['role'] + '
' + message['content'] + '<|im_end|>' + '
'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
' }}{% endif %})tpl";

// Zephyr: <|role|>\n ... </s>\n, laid out over several lines (trim_blocks and lstrip_blocks
// remove the layout).
inline constexpr std::string_view kZephyr = R"tpl({% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>
'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %})tpl";

// Phi-3: <|role|>\n ... <|end|>\n, the answer opened by <|assistant|>\n.
inline constexpr std::string_view kPhi3 =
    R"tpl({% for message in messages %}{% if message['role'] == 'system' and message['content'] %}{{'<|system|>
' + message['content'] + '<|end|>
'}}{% elif message['role'] == 'user' %}{{'<|user|>
' + message['content'] + '<|end|>
'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>
' + message['content'] + '<|end|>
'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>
' }}{% else %}{{ eos_token }}{% endif %})tpl";

// Gemma instruct: no system role; the assistant's turns are the "model" role.
inline constexpr std::string_view kGemma =
    R"tpl({{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '
' + message['content'] | trim + '<end_of_turn>
' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model
'}}{% endif %})tpl";

// StarCoder2-Instruct: a system line (its own default when none is given), then
// "### Instruction" and "### Response" sections; an answer ends with EOS.
inline constexpr std::string_view kStarCoder2Instruct = R"tpl({{bos_token}}{%- if messages[0]['role'] == 'system' -%}
{{ messages[0]['content'] }}
{%- set loop_messages = messages[1:] -%}
{%- else -%}
{{ 'You are an exceptionally intelligent coding assistant that consistently delivers accurate and reliable responses to user instructions.' }}
{%- set loop_messages = messages -%}
{%- endif %}


{% for message in loop_messages -%}
{%- if message['role'] == 'user' -%}
{{ '### Instruction\n' + message['content'] + '\n\n' }}
{%- elif message['role'] == 'assistant' -%}
{{ '### Response\n' + message['content'] + eos_token + '\n\n' }}
{%- else -%}
{{ raise_exception('Only user and assistant roles are supported after the system message') }}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{ '### Response\n' }}
{%- endif -%})tpl";

}  // namespace q8test::templates
