#include "yamltextedit.h"

#include "systemappearance.h"
#include "yamlhighlighter.h"

#include <QFontDatabase>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QTextBlock>
#include <QToolTip>

#include <algorithm>

namespace tantra {

namespace {

constexpr int kMarkerWidth = 16; // the gutter's marker column, left of the numbers
const QColor kErrorColour(0xd3, 0x2f, 0x2f);
const QColor kWarningColour(0xe0, 0x8e, 0x00);

QColor blend(const QColor &a, const QColor &b, double t)
{
    return QColor::fromRgbF(float(a.redF() * (1 - t) + b.redF() * t), float(a.greenF() * (1 - t) + b.greenF() * t),
                            float(a.blueF() * (1 - t) + b.blueF() * t));
}

void drawMarker(QPainter &p, const QRectF &box, const QColor &colour, bool triangle)
{
    p.setPen(Qt::NoPen);
    p.setBrush(colour);
    const double s = std::min(box.width(), box.height()) - 3;
    const QPointF c = box.center();
    if (triangle) {
        QPainterPath path;
        path.moveTo(c.x(), c.y() - s / 2);
        path.lineTo(c.x() + s / 2, c.y() + s / 2 - 1);
        path.lineTo(c.x() - s / 2, c.y() + s / 2 - 1);
        path.closeSubpath();
        p.drawPath(path);
    } else {
        p.drawEllipse(c, s / 2, s / 2);
    }
    // The "!" in the middle.
    p.setBrush(Qt::white);
    const double w = std::max(1.5, s / 7);
    const double top = triangle ? c.y() - s / 6 : c.y() - s / 4;
    p.drawRect(QRectF(c.x() - w / 2, top, w, s * (triangle ? 0.3 : 0.32)));
    p.drawRect(QRectF(c.x() - w / 2, triangle ? c.y() + s * 0.2 : c.y() + s * 0.14, w, w));
}

} // namespace

YamlTextEdit::YamlTextEdit(QWidget *parent)
    : QPlainTextEdit(parent)
    , m_gutter(new QWidget(this))
    , m_highlighter(new YamlHighlighter(document(), SystemAppearance::isDark(palette())))
{
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    setFont(mono);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setTabChangesFocus(false);
    setTabStopDistance(QFontMetricsF(mono).horizontalAdvance(QLatin1Char(' ')) * 2);
    // The gutter is a plain widget painted here through an event filter: it has no state of
    // its own worth a class.
    m_gutter->installEventFilter(this);
    m_gutter->setMouseTracking(true);
    connect(this, &QPlainTextEdit::blockCountChanged, this, &YamlTextEdit::updateGutterWidth);
    connect(this, &QPlainTextEdit::updateRequest, this, &YamlTextEdit::updateGutter);
    connect(this, &QPlainTextEdit::cursorPositionChanged, this, &YamlTextEdit::refreshSelections);
    updateGutterWidth();
    refreshSelections();
}

int YamlTextEdit::positionFor(const QTextDocument *document, int line, int column)
{
    if (line < 1)
        return -1;
    const QTextBlock block = document->findBlockByNumber(line - 1);
    if (!block.isValid())
        return std::max(0, document->characterCount() - 1);
    // yaml-cpp counts bytes of the UTF-8 text; the document counts UTF-16 units.
    const QByteArray bytes = block.text().toUtf8();
    const int byteColumn = std::clamp(column - 1, 0, int(bytes.size()));
    const int chars = int(QString::fromUtf8(bytes.left(byteColumn)).size());
    return block.position() + chars;
}

void YamlTextEdit::setErrorMark(int line, int column, const QString &message)
{
    if (line < 1) {
        clearErrorMark();
        return;
    }
    m_errorCursor = QTextCursor(document());
    m_errorCursor.setPosition(positionFor(document(), line, column));
    m_errorMessage = message;
    refreshSelections();
    m_gutter->update();
    viewport()->update();
}

void YamlTextEdit::clearErrorMark()
{
    if (m_errorCursor.isNull() && m_errorMessage.isEmpty())
        return;
    m_errorCursor = QTextCursor();
    m_errorMessage.clear();
    refreshSelections();
    m_gutter->update();
    viewport()->update();
}

int YamlTextEdit::errorLine() const
{
    return m_errorCursor.isNull() ? 0 : m_errorCursor.blockNumber() + 1;
}

int YamlTextEdit::errorPosition() const
{
    return m_errorCursor.isNull() ? -1 : m_errorCursor.position();
}

void YamlTextEdit::setIssueMarks(const QMap<int, QString> &marks)
{
    if (marks == m_issueMarks)
        return;
    m_issueMarks = marks;
    m_gutter->update();
}

void YamlTextEdit::goToLine(int line, int column)
{
    QTextCursor c(document());
    c.setPosition(positionFor(document(), line, column));
    setTextCursor(c);
    centerCursor();
    setFocus(Qt::OtherFocusReason);
}

int YamlTextEdit::gutterWidth() const
{
    int digits = 1;
    for (int n = std::max(1, blockCount()); n >= 10; n /= 10)
        ++digits;
    digits = std::max(digits, 3);
    return kMarkerWidth + fontMetrics().horizontalAdvance(QLatin1Char('9')) * digits + 10;
}

void YamlTextEdit::updateGutterWidth()
{
    setViewportMargins(gutterWidth(), 0, 0, 0);
}

void YamlTextEdit::updateGutter(const QRect &rect, int dy)
{
    if (dy)
        m_gutter->scroll(0, dy);
    else
        m_gutter->update(0, rect.y(), m_gutter->width(), rect.height());
    if (rect.contains(viewport()->rect()))
        updateGutterWidth();
}

void YamlTextEdit::resizeEvent(QResizeEvent *event)
{
    QPlainTextEdit::resizeEvent(event);
    const QRect cr = contentsRect();
    m_gutter->setGeometry(QRect(cr.left(), cr.top(), gutterWidth(), cr.height()));
}

void YamlTextEdit::changeEvent(QEvent *event)
{
    QPlainTextEdit::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        m_highlighter->setDarkBackground(SystemAppearance::isDark(palette()));
        refreshSelections();
    } else if (event->type() == QEvent::FontChange) {
        updateGutterWidth();
    }
}

void YamlTextEdit::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Tab && event->modifiers() == Qt::NoModifier && !textCursor().hasSelection()) {
        // Tabs are not indentation in YAML: insert spaces to the next two-column stop.
        const int column = textCursor().positionInBlock();
        insertPlainText(QString(2 - column % 2, QLatin1Char(' ')));
        return;
    }
    if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) && !(event->modifiers() & ~Qt::KeypadModifier)) {
        const QString line = textCursor().block().text().left(textCursor().positionInBlock());
        int indent = 0;
        while (indent < line.size() && line.at(indent) == QLatin1Char(' '))
            ++indent;
        QString code = line;
        if (const qsizetype hash = code.indexOf(QStringLiteral(" #")); hash >= 0)
            code.truncate(hash);
        code = code.trimmed();
        if (code.startsWith(QStringLiteral("- ")))
            indent += 2; // the item's next key lines up with its first
        if (code.endsWith(QLatin1Char(':')))
            indent += 2;
        textCursor().insertText(QLatin1Char('\n') + QString(indent, QLatin1Char(' ')));
        ensureCursorVisible();
        return;
    }
    QPlainTextEdit::keyPressEvent(event);
}

void YamlTextEdit::refreshSelections()
{
    QList<QTextEdit::ExtraSelection> selections;
    const QColor base = palette().color(QPalette::Base);
    const bool dark = SystemAppearance::isDark(palette());
    if (!isReadOnly()) {
        QTextEdit::ExtraSelection current;
        current.format.setBackground(blend(base, palette().color(QPalette::Highlight), dark ? 0.16 : 0.07));
        current.format.setProperty(QTextFormat::FullWidthSelection, true);
        current.cursor = textCursor();
        current.cursor.clearSelection();
        selections << current;
    }
    if (!m_errorCursor.isNull()) {
        QTextEdit::ExtraSelection line;
        line.format.setBackground(blend(base, kErrorColour, dark ? 0.28 : 0.12));
        line.format.setProperty(QTextFormat::FullWidthSelection, true);
        line.cursor = m_errorCursor;
        line.cursor.clearSelection();
        selections << line;

        // The underline starts at the marked character and runs to the end of its token; a
        // mark past the line's last character underlines that character instead.
        QTextEdit::ExtraSelection token;
        token.format.setUnderlineStyle(QTextCharFormat::WaveUnderline);
        token.format.setUnderlineColor(kErrorColour);
        token.cursor = m_errorCursor;
        const QTextBlock block = m_errorCursor.block();
        const QString text = block.text();
        const int at = m_errorCursor.position() - block.position();
        if (at < text.size()) {
            int end = at + 1;
            static const QString stops = QStringLiteral(" ,[]{}#");
            while (end < text.size() && !stops.contains(text.at(end)))
                ++end;
            token.cursor.setPosition(block.position() + end, QTextCursor::KeepAnchor);
        } else if (at > 0) {
            token.cursor.setPosition(block.position() + at - 1, QTextCursor::KeepAnchor);
        }
        token.format.setToolTip(m_errorMessage);
        selections << token;
    }
    setExtraSelections(selections);
}

int YamlTextEdit::lineAt(int y) const
{
    QTextBlock block = firstVisibleBlock();
    int top = qRound(blockBoundingGeometry(block).translated(contentOffset()).top());
    while (block.isValid()) {
        const int bottom = top + qRound(blockBoundingRect(block).height());
        if (y >= top && y < bottom)
            return block.blockNumber() + 1;
        if (top > y)
            break;
        top = bottom;
        block = block.next();
    }
    return 0;
}

bool YamlTextEdit::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_gutter) {
        if (event->type() == QEvent::Paint) {
            paintGutter(static_cast<QPaintEvent *>(event));
            return true;
        }
        if (event->type() == QEvent::ToolTip) {
            auto *help = static_cast<QHelpEvent *>(event);
            const int line = lineAt(help->pos().y());
            QString tip;
            if (line > 0 && line == errorLine())
                tip = m_errorMessage;
            else if (m_issueMarks.contains(line))
                tip = m_issueMarks.value(line);
            if (tip.isEmpty())
                QToolTip::hideText();
            else
                QToolTip::showText(help->globalPos(), tip, m_gutter);
            return true;
        }
        if (event->type() == QEvent::MouseButtonPress) {
            // A click on a line number puts the cursor on that line, as editors do.
            const int line = lineAt(static_cast<QMouseEvent *>(event)->pos().y());
            if (line > 0)
                goToLine(line);
            return true;
        }
    }
    return QPlainTextEdit::eventFilter(watched, event);
}

void YamlTextEdit::paintGutter(QPaintEvent *event)
{
    QPainter p(m_gutter);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    const bool dark = SystemAppearance::isDark(pal);
    p.fillRect(event->rect(), blend(pal.color(QPalette::Base), pal.color(QPalette::Window), dark ? 0.6 : 0.75));
    p.setPen(blend(pal.color(QPalette::Base), pal.color(QPalette::Text), 0.15));
    p.drawLine(m_gutter->width() - 1, event->rect().top(), m_gutter->width() - 1, event->rect().bottom());

    const int current = textCursor().blockNumber() + 1;
    const int marked = errorLine();
    QFont normal = font();
    QFont bold = font();
    bold.setBold(true);
    const QColor numberColour = blend(pal.color(QPalette::Base), pal.color(QPalette::Text), 0.45);
    QTextBlock block = firstVisibleBlock();
    int top = qRound(blockBoundingGeometry(block).translated(contentOffset()).top());
    const int lineHeight = fontMetrics().height();
    while (block.isValid() && top <= event->rect().bottom()) {
        const int bottom = top + qRound(blockBoundingRect(block).height());
        if (block.isVisible() && bottom >= event->rect().top()) {
            const int number = block.blockNumber() + 1;
            const QRectF markerBox(2, top, kMarkerWidth - 2, lineHeight);
            if (number == marked)
                drawMarker(p, markerBox, kErrorColour, false);
            else if (m_issueMarks.contains(number))
                drawMarker(p, markerBox, kWarningColour, true);
            p.setFont(number == current ? bold : normal);
            p.setPen(number == marked ? kErrorColour : number == current ? pal.color(QPalette::Text) : numberColour);
            p.drawText(QRect(kMarkerWidth, top, m_gutter->width() - kMarkerWidth - 6, lineHeight), Qt::AlignRight | Qt::AlignVCenter,
                       QString::number(number));
        }
        block = block.next();
        top = bottom;
    }
}

void YamlTextEdit::paintEvent(QPaintEvent *event)
{
    QPlainTextEdit::paintEvent(event);
    if (m_errorCursor.isNull())
        return;
    // A caret-like bar with a small flag marks the exact column, even past the line's end
    // where there is no character to underline.
    QPainter p(viewport());
    p.setRenderHint(QPainter::Antialiasing);
    const QRect r = cursorRect(m_errorCursor);
    p.fillRect(QRectF(r.left() - 0.5, r.top(), 2, r.height()), kErrorColour);
    QPainterPath flag;
    flag.moveTo(r.left() - 3.5, r.top());
    flag.lineTo(r.left() + 4.5, r.top());
    flag.lineTo(r.left() + 0.5, r.top() + 4);
    flag.closeSubpath();
    p.fillPath(flag, kErrorColour);
}

} // namespace tantra
