// StopStringFilter: text without a stop string passes through unchanged however it is chunked,
// holding back exactly the tail that could still begin a stop string; a stop string split over any
// number of pushes never reaches the output while everything before it does; flush() releases a
// held-back partial match; the earliest of several stop strings wins; empty stop strings are
// ignored; nothing comes out after stopping.
#include <QtTest>

#include <random>
#include <string>
#include <vector>

#include "stop_strings.h"

using q8::StopStringFilter;

namespace {

const std::vector<std::string> kStops{"</s>", "<|im_end|>", "\n\nUser:", "\xe3\x80\x82\xe3\x80\x82"};  // "。。"

bool contains_stop(const std::string& s, const std::vector<std::string>& stops) {
    for (const auto& st : stops) {
        if (!st.empty() && s.find(st) != std::string::npos) return true;
    }
    return false;
}

// The tail of text that could still grow into a stop string: its longest suffix that is a proper
// prefix of one (given that no stop string occurs in text).
std::string pending_tail(const std::string& text, const std::vector<std::string>& stops) {
    for (size_t start = 0; start < text.size(); ++start) {
        const std::string_view tail(text.data() + start, text.size() - start);
        for (const auto& st : stops) {
            if (!st.empty() && tail.size() < st.size() && std::string_view(st).substr(0, tail.size()) == tail) {
                return std::string(tail);
            }
        }
    }
    return {};
}

// Random text rich in near misses: pieces of the stop strings mixed with ordinary text, with no
// complete stop string.
std::string random_text(std::mt19937& g, size_t pieces, const std::vector<std::string>& stops) {
    static const std::vector<std::string> atoms{
        "<",        "</",   "</s",      "s>",    "<|",       "<|im",  "<|im_end", "|>",    "_end|",
        "\n",       "\n\n", "\n\nUser", "User:", ":",        "hello", " ",        "world", "\xe3\x80\x82",
        "\xe3\x80", "\x82", "a",        "b",     "\xc3\xa9", "<<",    "<|im_end"};
    for (;;) {
        std::string s;
        for (size_t i = 0; i < pieces; ++i) s += atoms[g() % atoms.size()];
        if (!contains_stop(s, stops)) return s;
    }
}

// Random cut points (empty chunks included).
std::vector<std::string> random_chunks(std::mt19937& g, const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
        const size_t len = std::min(s.size() - i, static_cast<size_t>(g() % 6));
        out.push_back(s.substr(i, len));
        i += len;
    }
    out.emplace_back();  // a final empty push
    return out;
}

}  // namespace

class TestStopStrings : public QObject {
    Q_OBJECT

private slots:
    // Output + flush == input, and after every push the held-back text is exactly the tail that
    // could still start a stop string (nothing safe is delayed, nothing unsafe released).
    void pass_through_data() {
        QTest::addColumn<int>("seed");
        for (int s = 1; s <= 8; ++s) QTest::addRow("seed=%d", s) << s;
    }
    void pass_through() {
        QFETCH(int, seed);
        std::mt19937 g(static_cast<unsigned>(seed));
        for (int trial = 0; trial < 200; ++trial) {
            const std::string text = random_text(g, 1 + g() % 40, kStops);
            StopStringFilter f(kStops);
            std::string in, out;
            for (const std::string& chunk : random_chunks(g, text)) {
                in += chunk;
                out += f.push(chunk);
                QVERIFY(!f.stopped());
                QVERIFY2(in.compare(0, out.size(), out) == 0, "output is not a prefix of the input");
                const std::string held = in.substr(out.size());
                QCOMPARE(held, pending_tail(in, kStops));
            }
            out += f.flush();
            QCOMPARE(out, text);
            QVERIFY(!f.stopped());
        }
    }

    // prefix + stop + suffix, chunked at random (and byte by byte): the output is exactly prefix,
    // stopped() turns true on the push that completes the stop string and not before, and later
    // pushes and flush() give nothing.
    void split_stop_data() {
        QTest::addColumn<int>("which");
        QTest::addColumn<bool>("bytewise");
        for (int w = 0; w < static_cast<int>(kStops.size()); ++w) {
            QTest::addRow("stop %d random chunks", w) << w << false;
            QTest::addRow("stop %d byte by byte", w) << w << true;
        }
    }
    void split_stop() {
        QFETCH(int, which);
        QFETCH(bool, bytewise);
        const std::string& stop = kStops[static_cast<size_t>(which)];
        std::mt19937 g(static_cast<unsigned>(100 + which));
        int checked = 0;
        for (int trial = 0; trial < 200; ++trial) {
            const std::string prefix = random_text(g, g() % 20, kStops);
            const std::string suffix = random_text(g, g() % 5, kStops) + (trial % 2 ? kStops[0] : std::string());
            const std::string text = prefix + stop + suffix;
            if (contains_stop(text.substr(0, prefix.size() + stop.size() - 1), kStops)) {
                continue;  // the end of prefix and the start of stop made an earlier stop string
            }
            ++checked;
            std::vector<std::string> chunks;
            if (bytewise) {
                for (char c : text) chunks.emplace_back(1, c);
            } else {
                chunks = random_chunks(g, text);
            }
            StopStringFilter f(kStops);
            std::string in, out;
            bool stopped = false;
            for (const std::string& chunk : chunks) {
                in += chunk;
                const std::string piece = f.push(chunk);
                if (stopped) QVERIFY2(piece.empty(), "text emitted after stopping");
                out += piece;
                const bool complete = in.size() >= prefix.size() + stop.size();
                QCOMPARE(f.stopped(), complete);
                stopped = f.stopped();
                QVERIFY2(out.find(stop) == std::string::npos, "stop string reached the output");
            }
            QVERIFY(f.stopped());
            QCOMPARE(f.flush(), std::string());
            QCOMPARE(out, prefix);
            QCOMPARE(f.push("more text"), std::string());
            QCOMPARE(f.flush(), std::string());
        }
        QVERIFY(checked >= 150);
    }

    void flush_releases_partial() {
        StopStringFilter f(kStops);
        QCOMPARE(f.push("hello <"), std::string("hello "));
        QCOMPARE(f.push("|im_"), std::string());
        QCOMPARE(f.push("en"), std::string());
        QCOMPARE(f.flush(), std::string("<|im_en"));
        QVERIFY(!f.stopped());
        QCOMPARE(f.flush(), std::string());  // released once

        // A partial match that turns out not to be one is released by the push that shows it.
        StopStringFilter g(kStops);
        QCOMPARE(g.push("a</"), std::string("a"));
        QCOMPARE(g.push("x"), std::string("</x"));
        QCOMPARE(g.push("\n\nUse"), std::string());
        QCOMPARE(g.push("d"), std::string("\n\nUsed"));
        QCOMPARE(g.flush(), std::string());
        // Overlapping candidates: "<" may start "</s>" again after "</".
        StopStringFilter h({"</s>"});
        QCOMPARE(h.push("<</"), std::string("<"));
        QCOMPARE(h.push("<"), std::string("</"));
        QCOMPARE(h.push("/s>tail"), std::string());
        QVERIFY(h.stopped());
    }

    void earliest_wins() {
        {  // the later-listed stop string occurs first in one push
            StopStringFilter f({"world", "lo w"});
            QCOMPARE(f.push("hello world"), std::string("hel"));
            QVERIFY(f.stopped());
        }
        {  // both in one push, listed the other way round
            StopStringFilter f({"lo w", "world"});
            QCOMPARE(f.push("hello world"), std::string("hel"));
        }
        {  // two stop strings, one later in the text: the earlier one decides
            StopStringFilter f({"<|im_end|>", "</s>"});
            QCOMPARE(f.push("answer</s> and <|im_end|>"), std::string("answer"));
        }
        {  // the first to complete across pushes stops the stream
            StopStringFilter f({"</s>", "<|im_end|>"});
            QCOMPARE(f.push("x<|im_e"), std::string("x"));
            QCOMPARE(f.push("nd|></s>"), std::string());
            QVERIFY(f.stopped());
        }
        {  // a held partial of one stop string, then another stop string: the partial is text
            StopStringFilter f({"</s>", "<|im_end|>"});
            QCOMPARE(f.push("ab<|im"), std::string("ab"));
            QCOMPARE(f.push("</s>"), std::string("<|im"));
            QVERIFY(f.stopped());
        }
    }

    void empty_stop_strings_ignored() {
        {
            StopStringFilter f({""});
            QCOMPARE(f.push("anything at all"), std::string("anything at all"));  // nothing held
            QCOMPARE(f.push(""), std::string());
            QVERIFY(!f.stopped());
            QCOMPARE(f.flush(), std::string());
        }
        {
            StopStringFilter f({"", "END", ""});
            QCOMPARE(f.push("abc"), std::string("abc"));
            QCOMPARE(f.push("xEN"), std::string("x"));
            QCOMPARE(f.push("D!"), std::string());
            QVERIFY(f.stopped());
        }
        {
            StopStringFilter f({});
            QCOMPARE(f.push("<|im_end|></s>"), std::string("<|im_end|></s>"));
            QVERIFY(!f.stopped());
        }
    }

    void nothing_after_stop() {
        StopStringFilter f({"STOP"});
        QCOMPARE(f.push("one STOP two"), std::string("one "));
        QVERIFY(f.stopped());
        QCOMPARE(f.push("three"), std::string());
        QCOMPARE(f.push("STOP"), std::string());
        QCOMPARE(f.flush(), std::string());
        QVERIFY(f.stopped());

        // A stop string at the very start: nothing at all comes out.
        StopStringFilter g({"STOP"});
        QCOMPARE(g.push("ST"), std::string());
        QCOMPARE(g.push("OP and more"), std::string());
        QVERIFY(g.stopped());
        QCOMPARE(g.flush(), std::string());
    }

    // With one stop string inside another, the one that completes first in the stream wins,
    // however the text is split.
    void nested_stop_strings_do_not_depend_on_chunking() {
        for (const std::vector<std::string>& chunks :
             {std::vector<std::string>{"xabcd"}, {"xabc", "d"}, {"xab", "cd"}, {"x", "a", "b", "c", "d"}}) {
            q8::StopStringFilter f({"abcd", "bc"});
            std::string out;
            for (const auto& c : chunks) out += f.push(c);
            QVERIFY(f.stopped());
            QCOMPARE(out, std::string("xa"));
        }
    }
};

QTEST_GUILESS_MAIN(TestStopStrings)
#include "test_stop_strings.moc"
