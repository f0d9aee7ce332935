#include "chat_list_model.h"

#include <QLocale>
#include <algorithm>

#include "chat_store.h"

namespace q8ui {

ChatListModel::ChatListModel(QObject* parent) : QAbstractListModel(parent) {}

int ChatListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(chats_.size()); }

QVariant ChatListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const Chat& chat = chats_.at(index.row());
    switch (role) {
    case Qt::DisplayRole: return chat.title.isEmpty() ? defaultTitle(chat) : chat.title;
    case Qt::ToolTipRole: return "Updated " + QLocale().toString(chat.updated.toLocalTime(), QLocale::LongFormat);
    case IdRole: return chat.id;
    case UpdatedRole: return chat.updated;
    default: return {};
    }
}

QHash<int, QByteArray> ChatListModel::roleNames() const {
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(IdRole, "id");
    names.insert(UpdatedRole, "updated");
    return names;
}

void ChatListModel::setChats(QVector<Chat> chats) {
    beginResetModel();
    chats_ = std::move(chats);
    std::sort(chats_.begin(), chats_.end(), listedBefore);
    endResetModel();
}

int ChatListModel::sortedRow(const Chat& chat) const {
    return int(std::lower_bound(chats_.begin(), chats_.end(), chat, listedBefore) - chats_.begin());
}

void ChatListModel::upsert(const Chat& chat) {
    const int old = rowOf(chat.id);
    int row = sortedRow(chat);
    if (old < 0) {
        beginInsertRows(QModelIndex(), row, row);
        chats_.insert(row, chat);
        endInsertRows();
        return;
    }
    if (old < row) --row;  // the old version sorted before the new one and is leaving
    if (row != old) {
        // beginMoveRows counts the destination in rows as they are before the move.
        beginMoveRows(QModelIndex(), old, old, QModelIndex(), row > old ? row + 1 : row);
        chats_.move(old, row);
        endMoveRows();
    }
    chats_[row] = chat;
    const QModelIndex changed = index(row);
    emit dataChanged(changed, changed);
}

bool ChatListModel::remove(const QString& id) {
    const int row = rowOf(id);
    if (row < 0) return false;
    beginRemoveRows(QModelIndex(), row, row);
    chats_.remove(row);
    endRemoveRows();
    return true;
}

std::optional<Chat> ChatListModel::chat(const QString& id) const {
    const int row = rowOf(id);
    if (row < 0) return std::nullopt;
    return chats_.at(row);
}

int ChatListModel::rowOf(const QString& id) const {
    const auto it = std::find_if(chats_.begin(), chats_.end(), [&](const Chat& c) { return c.id == id; });
    return it == chats_.end() ? -1 : int(it - chats_.begin());
}

QSortFilterProxyModel* newChatSearchModel(ChatListModel* source, QObject* parent) {
    auto* proxy = new QSortFilterProxyModel(parent);
    proxy->setSourceModel(source);
    proxy->setFilterRole(Qt::DisplayRole);
    proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    return proxy;
}

}  // namespace q8ui
