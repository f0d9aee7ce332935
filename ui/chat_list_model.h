#pragma once
// The saved chats as the side list shows them: one row per chat, most recently updated first
// (listedBefore), re-sorted as chats change. It keeps the whole Chat, so the window can reopen one
// or re-save it (undo of a delete) without reading the folder again.
#include <QAbstractListModel>
#include <QSortFilterProxyModel>
#include <QVector>
#include <optional>

#include "chat_types.h"

namespace q8ui {

class ChatListModel : public QAbstractListModel {
    Q_OBJECT
public:
    // Qt::DisplayRole is the title and Qt::ToolTipRole the last update in words.
    enum Roles { IdRole = Qt::UserRole + 1, UpdatedRole };

    explicit ChatListModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Replaces every row, e.g. with loadChats(dir).chats.
    void setChats(QVector<Chat> chats);
    // Inserts the chat, or replaces the one with its id, and moves it to its place in the order.
    void upsert(const Chat& chat);
    // False when no chat has this id.
    bool remove(const QString& id);
    std::optional<Chat> chat(const QString& id) const;
    // -1 when no chat has this id.
    int rowOf(const QString& id) const;

private:
    // Where lower_bound puts the chat among chats_ as they are.
    int sortedRow(const Chat& chat) const;

    QVector<Chat> chats_;
};

// A proxy that filters the list by title, case-insensitively, keeping the list's order. The
// widget binds its search box with
//   connect(searchEdit, &QLineEdit::textChanged, proxy, &QSortFilterProxyModel::setFilterFixedString);
QSortFilterProxyModel* newChatSearchModel(ChatListModel* source, QObject* parent);

}  // namespace q8ui
