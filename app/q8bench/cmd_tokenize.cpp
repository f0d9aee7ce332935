// `q8bench tokenize`: token ids of a text, exactly as the engine will see it (no BOS/EOS added).
// Needs only a vocabulary, so it works on vocabulary-only GGUF files.
#include <fstream>
#include <iostream>
#include <sstream>

#include <q8/error.h>

#include "commands.h"
// Engine internals: tokenize reads a vocabulary-only file, which no model loads.
#include "hf_folder.h"
#include "tokenizer.h"

namespace q8bench {

void add_tokenize_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("tokenize", "Print the token ids of a text, space-separated on one line");
    auto model_path = std::make_shared<std::string>();
    auto text = std::make_shared<std::string>();
    auto file = std::make_shared<std::string>();
    auto parse_special = std::make_shared<bool>(false);
    cmd->add_option("-m,--model", *model_path, "GGUF model or vocabulary file, or Hugging Face folder")->required();
    auto* p = cmd->add_option("-p,--prompt", *text, "Text to tokenize");
    auto* f = cmd->add_option("-f,--file", *file, "File whose whole content is the text");
    p->excludes(f);
    cmd->add_flag("--parse-special", *parse_special, "Map special-token text (e.g. <|im_start|>) to its id");
    cmd->callback([=, &app] {
        std::string input = *text;
        if (!file->empty()) {
            std::ifstream in(*file, std::ios::binary);
            if (!in) throw q8::EngineError(*file + ": cannot open");
            std::ostringstream ss;
            ss << in.rdbuf();
            input = ss.str();
        } else if (app.get_subcommand("tokenize")->count("--prompt") == 0) {
            throw q8::EngineError("tokenize needs -p TEXT or -f FILE");
        }
        const auto file = q8::open_model_file(*model_path, q8::FileUse::Description);
        const q8::Tokenizer tok = q8::Tokenizer::from_gguf(*file);
        const auto ids = tok.encode(input, false, *parse_special);
        std::string line;
        for (size_t i = 0; i < ids.size(); ++i) {
            if (i) line += ' ';
            line += std::to_string(ids[i]);
        }
        std::cout << line << "\n";
    });
}

}  // namespace q8bench
