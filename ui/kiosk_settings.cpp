#include "kiosk_settings.h"

#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSettings>
#include <QStringList>

namespace q8ui {

namespace {

constexpr char kPrefix[] = "sha256";

QByteArray digest(const QByteArray& salt, const QString& pin) {
    return QCryptographicHash::hash(salt + pin.toUtf8(), QCryptographicHash::Sha256);
}

}  // namespace

QKeySequence KioskSettings::exitShortcut() { return QKeySequence(Qt::CTRL | Qt::ALT | Qt::SHIFT | Qt::Key_Q); }

KioskSettings KioskSettings::load() {
    const QSettings s;
    KioskSettings k;
    const int idle = s.value("kiosk/idleResumeSeconds", k.idleResumeSeconds).toInt();
    if (idle >= kMinIdleSeconds && idle <= kMaxIdleSeconds) k.idleResumeSeconds = idle;
    const QString pin = s.value("kiosk/exitPin").toString();
    // A malformed entry would lock the operator out: treat it as no PIN (the file's owner can
    // always edit it anyway).
    if (pin.split(':').size() == 3 && pin.startsWith(QString(kPrefix) + ':')) k.exitPinHash = pin;
    return k;
}

void KioskSettings::save() const {
    QSettings s;
    s.setValue("kiosk/idleResumeSeconds", idleResumeSeconds);
    if (exitPinHash.isEmpty()) {
        s.remove("kiosk/exitPin");
    } else {
        s.setValue("kiosk/exitPin", exitPinHash);
    }
}

bool KioskSettings::validPin(const QString& pin) {
    static const QRegularExpression digits(QString("^[0-9]{%1,%2}$").arg(kMinPinDigits).arg(kMaxPinDigits));
    return digits.match(pin).hasMatch();
}

bool KioskSettings::acceptsPin(const QString& pin) const {
    if (!requiresPin()) return true;
    const QStringList parts = exitPinHash.split(':');
    return digest(QByteArray::fromHex(parts[1].toLatin1()), pin).toHex() == parts[2].toLatin1();
}

bool KioskSettings::setPin(const QString& pin) {
    if (pin.isEmpty()) {
        exitPinHash.clear();
        return true;
    }
    if (!validPin(pin)) return false;
    QByteArray salt(16, 0);
    for (char& c : salt) c = static_cast<char>(QRandomGenerator::system()->bounded(256));
    exitPinHash = QString("%1:%2:%3").arg(kPrefix, salt.toHex(), digest(salt, pin).toHex());
    return true;
}

}  // namespace q8ui
