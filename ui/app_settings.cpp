#include "app_settings.h"

#include <QSettings>

namespace q8ui {

AppSettings AppSettings::load() {
    const QSettings s;
    AppSettings a;
    a.threads = s.value("engine/threads", a.threads).toInt();
    a.contextSize = s.value("engine/contextSize", a.contextSize).toInt();
    a.draftK = s.value("engine/draftK", a.draftK).toInt();
    a.draftLookup = s.value("engine/draftLookup", a.draftLookup).toBool();
    GenerationSettings& g = a.generation;
    g.maxTokens = s.value("generation/maxTokens", g.maxTokens).toInt();
    g.temperature = s.value("generation/temperature", g.temperature).toDouble();
    g.topK = s.value("generation/topK", g.topK).toInt();
    g.topP = s.value("generation/topP", g.topP).toDouble();
    g.minP = s.value("generation/minP", g.minP).toDouble();
    g.repeatPenalty = s.value("generation/repeatPenalty", g.repeatPenalty).toDouble();
    g.seed = s.value("generation/seed", g.seed).toULongLong();
    a.systemPrompt = s.value("chat/systemPrompt", a.systemPrompt).toString();
    a.enterSends = s.value("chat/enterSends", a.enterSends).toBool();
    a.fontPointSize = s.value("view/fontPointSize", a.fontPointSize).toInt();
    a.kiosk = KioskSettings::load();
    return a;
}

void AppSettings::save() const {
    QSettings s;
    s.setValue("engine/threads", threads);
    s.setValue("engine/contextSize", contextSize);
    s.setValue("engine/draftK", draftK);
    s.setValue("engine/draftLookup", draftLookup);
    s.setValue("generation/maxTokens", generation.maxTokens);
    s.setValue("generation/temperature", generation.temperature);
    s.setValue("generation/topK", generation.topK);
    s.setValue("generation/topP", generation.topP);
    s.setValue("generation/minP", generation.minP);
    s.setValue("generation/repeatPenalty", generation.repeatPenalty);
    s.setValue("generation/seed", generation.seed);
    s.setValue("chat/systemPrompt", systemPrompt);
    s.setValue("chat/enterSends", enterSends);
    s.setValue("view/fontPointSize", fontPointSize);
    kiosk.save();
}

}  // namespace q8ui
