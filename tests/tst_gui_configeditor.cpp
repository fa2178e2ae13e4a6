// The config editor driven as a user would: reading the form, typing YAML (broken and fixed),
// editing values in the form, undoing, checking the edited values against the workspace's
// sample weight, saving, closing with unsaved changes and another process changing the file.
#include "configcheckpanel.h"
#include "configeditor.h"
#include "configformpage.h"
#include "configmanager.h"
#include "configtextmap.h"
#include "weightmanager.h"
#include "workspace.h"
#include "workspacesession.h"
#include "yamltextedit.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTreeWidget>

#include <memory>

using namespace tantra;

namespace {

// 1-based number of the first line of `text` containing `needle`, 0 when none.
int lineOf(const QString &text, const QString &needle)
{
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (int i = 0; i < lines.size(); ++i) {
        if (lines.at(i).contains(needle))
            return i + 1;
    }
    return 0;
}

QString lineText(const QString &text, int line)
{
    return text.split(QLatin1Char('\n')).value(line - 1);
}

// Selects line `line` of the text view and types `replacement` over it, key by key.
void retypeLine(YamlTextEdit *edit, int line, const QString &replacement)
{
    QTextCursor c(edit->document()->findBlockByNumber(line - 1));
    c.movePosition(QTextCursor::EndOfBlock, QTextCursor::KeepAnchor);
    edit->setTextCursor(c);
    edit->setFocus();
    QTest::keyClicks(edit, replacement);
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

// Another process replacing the file the way the program does: a temporary and a rename.
void writeAsOtherProcess(const QString &path, const QByteArray &bytes)
{
    QSaveFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
    QVERIFY(f.commit());
}

const QTextEdit::ExtraSelection *wavyUnderline(const QList<QTextEdit::ExtraSelection> &selections)
{
    for (const auto &s : selections) {
        if (s.format.underlineStyle() == QTextCharFormat::WaveUnderline)
            return &s;
    }
    return nullptr;
}

} // namespace

class TestGuiConfigEditor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void formShowsTheFile();
    void brokenYamlIsMarkedAtItsLineAndColumn();
    void brokenYamlIsMarkedAtItsLineAndColumn_data();
    void semanticErrorMarksTheFormRow();
    void formEditRewritesOnlyThatValue();
    void undoAndRedoCoverFormEdits();
    void shortcutsUndoFromTheForm();
    void textEditRefreshesTheForm();
    void formKeepsTypesAndQuotes();
    void scalarTextReadsBackAsWritten();
    void scalarTextReadsBackAsWritten_data();
    void checkListsMismatchesOfEditedValues();
    void saveWritesAtomically();
    void saveRefusesInvalidConfig();
    void maybeSaveAsksAndObeys();
    void saveKeepsToItsFileWhenTheSessionMoves();
    void diskChangeReloadsWhenUnmodified();
    void diskChangeOffersReloadWhenModified();

private:
    std::unique_ptr<ConfigEditor> openEditor();
    QString configPath() const { return QDir(m_dir->path()).filePath(QStringLiteral("Config/mamba.yaml")); }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<WorkspaceSession> m_session;
    QByteArray m_original;
};

void TestGuiConfigEditor::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    WeightManager manager{Workspace(m_dir->path())};
    auto setup = manager.setup();
    QVERIFY2(setup.ok(), qPrintable(setup.ok() ? QString() : setup.errorString()));
    m_session = std::make_unique<WorkspaceSession>();
    auto opened = m_session->open(m_dir->path());
    QVERIFY2(opened.ok(), qPrintable(opened.ok() ? QString() : opened.errorString()));
    m_original = readFile(configPath());
    QVERIFY(m_original.contains("d_model: 128"));
}

void TestGuiConfigEditor::cleanup()
{
    m_session.reset();
    m_dir.reset();
}

std::unique_ptr<ConfigEditor> TestGuiConfigEditor::openEditor()
{
    auto editor = std::make_unique<ConfigEditor>(m_session.get(), QStringLiteral("mamba"));
    editor->resize(1200, 800);
    editor->show();
    if (!QTest::qWaitForWindowExposed(editor.get()))
        return nullptr;
    return editor;
}

void TestGuiConfigEditor::formShowsTheFile()
{
    auto editor = openEditor();
    QVERIFY(editor);
    QCOMPARE(editor->modelType(), QStringLiteral("mamba"));
    QCOMPARE(editor->title(), QStringLiteral("mamba.yaml"));
    QVERIFY(!editor->isModified());
    QVERIFY(editor->config().has_value());
    QCOMPARE(editor->text().toUtf8(), m_original);
    QVERIFY(!editor->saveAction()->isEnabled()); // nothing to save

    ConfigFormPage *form = editor->formPage();
    auto *dModel = qobject_cast<QSpinBox *>(form->editorFor(QStringLiteral("architecture"), QStringLiteral("d_model")));
    QVERIFY(dModel);
    QCOMPARE(dModel->value(), 128);
    auto *nLayer = qobject_cast<QSpinBox *>(form->editorFor(QStringLiteral("architecture"), QStringLiteral("n_layer")));
    QVERIFY(nLayer);
    QCOMPARE(nLayer->value(), 4);
    auto *vocab = qobject_cast<QSpinBox *>(form->editorFor(QStringLiteral("architecture"), QStringLiteral("vocab_size")));
    QVERIFY(vocab);
    QCOMPARE(vocab->value(), 4090);
    auto *rms = qobject_cast<QCheckBox *>(form->editorFor(QStringLiteral("architecture"), QStringLiteral("rms_norm")));
    QVERIFY(rms);
    QVERIFY(rms->isChecked());
    // A double keeps its notation; text and paths are line edits.
    auto *lr = qobject_cast<QLineEdit *>(form->editorFor(QStringLiteral("training"), QStringLiteral("learning_rate")));
    QVERIFY(lr);
    QCOMPARE(lr->text(), QStringLiteral("1.5e-3"));
    auto *precision = qobject_cast<QLineEdit *>(form->editorFor(QStringLiteral("training"), QStringLiteral("precision")));
    QVERIFY(precision);
    QCOMPARE(precision->text(), QStringLiteral("bf16"));
    auto *host = qobject_cast<QLineEdit *>(form->editorFor(QStringLiteral("serve"), QStringLiteral("host")));
    QVERIFY(host);
    QCOMPARE(host->text(), QStringLiteral("127.0.0.1"));
    auto *checkpoints = qobject_cast<QLineEdit *>(form->editorFor(QStringLiteral("paths"), QStringLiteral("checkpoints")));
    QVERIFY(checkpoints);
    QCOMPARE(checkpoints->text(), QStringLiteral("checkpoints/mamba"));
    auto *tokenizer = qobject_cast<QLineEdit *>(form->editorFor(QStringLiteral("extra"), QStringLiteral("tokenizer")));
    QVERIFY(tokenizer);
    QCOMPARE(tokenizer->text(), QStringLiteral("EleutherAI/gpt-neox-20b"));
    auto *description = qobject_cast<QLineEdit *>(form->editorFor(QString(), QStringLiteral("description")));
    QVERIFY(description);
    QVERIFY(description->text().startsWith(QStringLiteral("Mamba v1 language model")));

    // The YAML tab holds the file as it is, comments included.
    QVERIFY(editor->textEdit()->toPlainText().contains(QStringLiteral("# hidden size")));
    QVERIFY(!editor->textEdit()->hasErrorMark());
    QCOMPARE(editor->checkPanel()->selectedWeight(), QStringLiteral("mamba_sample"));
}

void TestGuiConfigEditor::brokenYamlIsMarkedAtItsLineAndColumn_data()
{
    QTest::addColumn<QString>("anchor");   // finds the line to retype
    QTest::addColumn<QString>("typed");    // what replaces it
    QTest::addColumn<int>("lineOffset");   // the reported line relative to the retyped one
    QTest::addColumn<int>("column");       // the reported column (1-based), pinned
    // An unclosed flow list: yaml-cpp reports the '[' that opened it.
    // yaml-cpp reads on into the next line ("n_layer" as a list item) and reports the ':' there.
    QTest::newRow("unclosed list") << QStringLiteral("d_model: 128") << QStringLiteral("  d_model: [1, 2") << 1 << 10;
    // A value that is not a positive integer: the parser names the key, at the value.
    QTest::newRow("not a number") << QStringLiteral("n_layer: 4") << QStringLiteral("  n_layer: four") << 0 << 12;
    // A bad expression: the column of the character at fault inside it, here just past its end.
    QTest::newRow("bad expression") << QStringLiteral("dt_rank: ceil") << QStringLiteral("  dt_rank: ceil(d_model / 16") << 0 << 29;
}

void TestGuiConfigEditor::brokenYamlIsMarkedAtItsLineAndColumn()
{
    QFETCH(QString, anchor);
    QFETCH(QString, typed);
    QFETCH(int, lineOffset);
    QFETCH(int, column);
    auto editor = openEditor();
    QVERIFY(editor);
    editor->tabs()->setCurrentWidget(editor->textEdit());
    YamlTextEdit *edit = editor->textEdit();
    const int line = lineOf(edit->toPlainText(), anchor);
    QVERIFY(line > 0);
    const QString before = lineText(edit->toPlainText(), line);
    retypeLine(edit, line, typed);
    QCOMPARE(lineText(edit->toPlainText(), line), typed);

    // After the typing pause the text is parsed and the error marked.
    QTRY_VERIFY(editor->error().has_value());
    const auto independent = ConfigManager::parseConfigDetailed(edit->toPlainText().toUtf8(), configPath());
    QVERIFY(std::holds_alternative<ConfigError>(independent));
    const ConfigError &expected = std::get<ConfigError>(independent);
    QCOMPARE(editor->error()->line, expected.line);
    QCOMPARE(editor->error()->column, expected.column);
    QCOMPARE(editor->error()->message, expected.message);
    QCOMPARE(expected.line, line + lineOffset);
    QCOMPARE(expected.column, column);

    // The mark is on exactly that character: gutter line, caret position and underline start.
    const int position = edit->document()->findBlockByNumber(expected.line - 1).position() + expected.column - 1;
    QCOMPARE(edit->errorLine(), expected.line);
    QCOMPARE(edit->errorPosition(), position);
    const QTextEdit::ExtraSelection *underline = wavyUnderline(edit->extraSelections());
    QVERIFY(underline);
    QCOMPARE(underline->cursor.anchor(), position);
    const QTextBlock block = edit->document()->findBlockByNumber(expected.line - 1);
    if (position < block.position() + block.length() - 1) {
        QCOMPARE(underline->cursor.selectionStart(), position);
        QVERIFY(underline->cursor.selectionEnd() > position);
    } else {
        // Past the line's last character there is nothing to underline: the last character
        // is, and the caret bar stands at the column itself.
        QCOMPARE(underline->cursor.selectionEnd(), position);
        QCOMPARE(underline->cursor.selectionStart(), position - 1);
    }
    QCOMPARE(underline->format.toolTip(), expected.message);
    QVERIFY(editor->statusLabel()->text().contains(QStringLiteral("Line %1, column %2").arg(expected.line).arg(expected.column)));
    QVERIFY(!editor->saveAction()->isEnabled());
    QVERIFY(!editor->checkPanel()->checkButton()->isEnabled());
    QVERIFY(editor->isModified());

    // Fixing the line clears every mark and allows saving again.
    retypeLine(edit, line, before);
    QTRY_VERIFY(!editor->error().has_value());
    QVERIFY(!edit->hasErrorMark());
    QCOMPARE(edit->errorLine(), 0);
    QVERIFY(!wavyUnderline(edit->extraSelections()));
    QVERIFY(editor->config().has_value());
    QVERIFY(!editor->formPage()->banner()->isVisible());
    QCOMPARE(editor->text().toUtf8(), m_original);
    QVERIFY(editor->checkPanel()->checkButton()->isEnabled());
}

void TestGuiConfigEditor::semanticErrorMarksTheFormRow()
{
    auto editor = openEditor();
    QVERIFY(editor);
    YamlTextEdit *edit = editor->textEdit();
    const int line = lineOf(edit->toPlainText(), QStringLiteral("d_model: 128"));
    auto *spin = qobject_cast<QSpinBox *>(editor->formPage()->editorFor(QStringLiteral("architecture"), QStringLiteral("d_model")));
    QVERIFY(spin);
    // Text where a number belongs: the spin box shows the text, disabled, not a stale 128.
    retypeLine(edit, line, QStringLiteral("  d_model: abc"));
    QTRY_VERIFY(editor->error().has_value());
    QCOMPARE(editor->error()->message, QStringLiteral("architecture.d_model must be a positive integer, not 'abc'"));
    QVERIFY(!spin->isEnabled());
    QCOMPARE(spin->text(), QStringLiteral("abc"));

    retypeLine(edit, line, QStringLiteral("  d_model: 0"));
    QTRY_VERIFY(spin->isEnabled());
    QVERIFY(editor->error().has_value());
    QCOMPARE(editor->error()->key, QStringLiteral("architecture.d_model"));
    QCOMPARE(editor->error()->line, line);
    QCOMPARE(editor->error()->column, 12);
    // The YAML still reads, so the form stays usable, shows what the text says and marks the row.
    QVERIFY(!editor->formPage()->banner()->isVisible());
    QCOMPARE(editor->formPage()->problemKey(), QStringLiteral("architecture.d_model"));
    auto *dModel = qobject_cast<QSpinBox *>(editor->formPage()->editorFor(QStringLiteral("architecture"), QStringLiteral("d_model")));
    QVERIFY(dModel);
    QCOMPARE(dModel->value(), 0);
    // Fixing it from the form clears the error.
    dModel->setValue(64);
    QVERIFY(!editor->error().has_value());
    QCOMPARE(lineText(edit->toPlainText(), line), QStringLiteral("  d_model: 64"));
    QVERIFY(editor->formPage()->problemKey().isEmpty());
}

void TestGuiConfigEditor::formEditRewritesOnlyThatValue()
{
    auto editor = openEditor();
    QVERIFY(editor);
    QSignalSpy modified(editor.get(), &ConfigEditor::modificationChanged);
    auto *dModel = qobject_cast<QSpinBox *>(editor->formPage()->editorFor(QStringLiteral("architecture"), QStringLiteral("d_model")));
    QVERIFY(dModel);
    // Typed and confirmed with Enter, as a user does.
    dModel->setFocus();
    dModel->selectAll();
    QTest::keyClicks(dModel, QStringLiteral("256"));
    QCOMPARE(editor->text().toUtf8(), m_original); // no commit per keystroke
    QTest::keyClick(dModel, Qt::Key_Return);

    const QString original = QString::fromUtf8(m_original);
    const QString text = editor->text();
    const QStringList before = original.split(QLatin1Char('\n'));
    const QStringList after = text.split(QLatin1Char('\n'));
    QCOMPARE(after.size(), before.size());
    const int line = lineOf(original, QStringLiteral("d_model: 128"));
    for (int i = 0; i < before.size(); ++i) {
        if (i == line - 1)
            QCOMPARE(after.at(i), QStringLiteral("  d_model: 256                 # hidden size")); // comment stays in its column
        else
            QCOMPARE(after.at(i), before.at(i));
    }
    QVERIFY(editor->isModified());
    QCOMPARE(editor->title(), QStringLiteral("mamba.yaml*"));
    QCOMPARE(modified.count(), 1);
    QCOMPARE(modified.at(0).at(0).toBool(), true);
    QVERIFY(editor->saveAction()->isEnabled());
    QVERIFY(editor->config().has_value());
    QCOMPARE(editor->config()->architecture.value(QStringLiteral("d_model")).toLongLong(), 256);
    QCOMPARE(editor->config()->derived.at(QStringLiteral("d_inner")), 512);
    // Nothing was written.
    QCOMPARE(readFile(configPath()), m_original);
}

void TestGuiConfigEditor::undoAndRedoCoverFormEdits()
{
    auto editor = openEditor();
    QVERIFY(editor);
    ConfigFormPage *form = editor->formPage();
    auto *dModel = qobject_cast<QSpinBox *>(form->editorFor(QStringLiteral("architecture"), QStringLiteral("d_model")));
    auto *rms = qobject_cast<QCheckBox *>(form->editorFor(QStringLiteral("architecture"), QStringLiteral("rms_norm")));
    QVERIFY(dModel && rms);
    QVERIFY(!editor->undoAction()->isEnabled());

    dModel->setValue(256);
    rms->click(); // another key: its own undo step

    QVERIFY(editor->text().contains(QStringLiteral("  rms_norm: false")));
    QVERIFY(editor->undoAction()->isEnabled());

    editor->undoAction()->trigger();
    QVERIFY(editor->text().contains(QStringLiteral("  rms_norm: true")));
    QVERIFY(rms->isChecked());
    QCOMPARE(dModel->value(), 256);
    QVERIFY(editor->isModified());

    editor->undoAction()->trigger();
    QCOMPARE(editor->text().toUtf8(), m_original);
    QCOMPARE(dModel->value(), 128);
    QVERIFY(!editor->isModified()); // back at the saved state
    QCOMPARE(editor->title(), QStringLiteral("mamba.yaml"));
    QVERIFY(!editor->undoAction()->isEnabled());

    QVERIFY(editor->redoAction()->isEnabled());
    editor->redoAction()->trigger();
    QCOMPARE(dModel->value(), 256);
    QVERIFY(editor->text().contains(QStringLiteral("  d_model: 256")));
    QVERIFY(editor->isModified());

    // Arrow steps in quick succession are one undo step, as typing is.
    editor->undoAction()->trigger();
    QCOMPARE(dModel->value(), 128);
    dModel->setFocus();
    QTest::keyClick(dModel, Qt::Key_Up);
    QTest::keyClick(dModel, Qt::Key_Up);
    QTest::keyClick(dModel, Qt::Key_Up);
    QCOMPARE(dModel->value(), 131);
    QVERIFY(editor->text().contains(QStringLiteral("  d_model: 131")));
    editor->undoAction()->trigger();
    QCOMPARE(editor->text().toUtf8(), m_original);
}

void TestGuiConfigEditor::shortcutsUndoFromTheForm()
{
    auto editor = openEditor();
    QVERIFY(editor);
    editor->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(editor.get()));
    auto *precision = qobject_cast<QLineEdit *>(editor->formPage()->editorFor(QStringLiteral("training"), QStringLiteral("precision")));
    QVERIFY(precision);
    precision->setFocus();
    QTRY_VERIFY(precision->hasFocus());
    precision->selectAll();
    QTest::keyClicks(precision, QStringLiteral("fp32"));
    QSignalSpy undone(editor->undoAction(), &QAction::triggered);
    QSignalSpy redone(editor->redoAction(), &QAction::triggered);
    // Ctrl+Z in the field commits the typing and undoes it in the document's one stack.
    QTest::keyClick(precision, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(undone.count(), 1);
    QCOMPARE(editor->text().toUtf8(), m_original);
    QCOMPARE(precision->text(), QStringLiteral("bf16"));
    QTest::keyClick(precision, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(redone.count(), 1);
    QVERIFY(editor->text().contains(QStringLiteral("  precision: fp32")));
    QCOMPARE(precision->text(), QStringLiteral("fp32"));
    // Ctrl+S saves.
    QTest::keyClick(precision, Qt::Key_S, Qt::ControlModifier);
    QVERIFY(!editor->isModified());
    QVERIFY(readFile(configPath()).contains("  precision: fp32"));
}

void TestGuiConfigEditor::textEditRefreshesTheForm()
{
    auto editor = openEditor();
    QVERIFY(editor);
    auto *nLayer = qobject_cast<QSpinBox *>(editor->formPage()->editorFor(QStringLiteral("architecture"), QStringLiteral("n_layer")));
    QVERIFY(nLayer);
    YamlTextEdit *edit = editor->textEdit();
    const int line = lineOf(edit->toPlainText(), QStringLiteral("n_layer: 4"));
    retypeLine(edit, line, QStringLiteral("  n_layer: 6   # more blocks"));
    QCOMPARE(nLayer->value(), 4); // not before the pause
    QTRY_COMPARE(nLayer->value(), 6);
    QCOMPARE(editor->config()->architecture.value(QStringLiteral("n_layer")).toLongLong(), 6);

    // A key added in the text appears in the form.
    const int serve = lineOf(edit->toPlainText(), QStringLiteral("temperature: 0.8"));
    QTextCursor c(edit->document()->findBlockByNumber(serve - 1));
    c.movePosition(QTextCursor::EndOfBlock);
    edit->setTextCursor(c);
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_Return); // keeps the indentation
    QTest::keyClicks(edit, QStringLiteral("stream: true"));
    QTRY_VERIFY(qobject_cast<QCheckBox *>(editor->formPage()->editorFor(QStringLiteral("serve"), QStringLiteral("stream"))));
    QVERIFY(editor->text().contains(QStringLiteral("  temperature: 0.8\n  stream: true\n")));
}

void TestGuiConfigEditor::formKeepsTypesAndQuotes()
{
    auto editor = openEditor();
    QVERIFY(editor);
    ConfigFormPage *form = editor->formPage();
    // Text that YAML would read as something else, or that holds ": ", is quoted.
    auto *data = qobject_cast<QLineEdit *>(form->editorFor(QStringLiteral("paths"), QStringLiteral("data")));
    QVERIFY(data);
    data->setFocus();
    data->selectAll();
    QTest::keyClicks(data, QStringLiteral("data/mamba: v2"));
    QTest::keyClick(data, Qt::Key_Return);
    QVERIFY(editor->text().contains(QStringLiteral("  data: 'data/mamba: v2'\n")));
    QCOMPARE(editor->config()->paths.value(QStringLiteral("data")).toString(), QStringLiteral("data/mamba: v2"));

    auto *precision = qobject_cast<QLineEdit *>(form->editorFor(QStringLiteral("training"), QStringLiteral("precision")));
    QVERIFY(precision);
    precision->setFocus();
    precision->selectAll();
    QTest::keyClicks(precision, QStringLiteral("true"));
    QTest::keyClick(precision, Qt::Key_Return);
    QVERIFY(editor->text().contains(QStringLiteral("  precision: 'true'\n")));
    QCOMPARE(editor->config()->training.value(QStringLiteral("precision")).typeId(), QMetaType::QString);

    // A double stays a double: 2 is written as 2.0.
    auto *clip = qobject_cast<QLineEdit *>(form->editorFor(QStringLiteral("training"), QStringLiteral("grad_clip")));
    QVERIFY(clip);
    clip->setFocus();
    clip->selectAll();
    QTest::keyClicks(clip, QStringLiteral("2"));
    QTest::keyClick(clip, Qt::Key_Return);
    QVERIFY(editor->text().contains(QStringLiteral("  grad_clip: 2.0\n")));
    QCOMPARE(editor->config()->training.value(QStringLiteral("grad_clip")).typeId(), QMetaType::Double);
    // The field shows what the YAML now holds; the validator keeps letters out of it.
    QCOMPARE(clip->text(), QStringLiteral("2.0"));
    QTest::keyClicks(clip, QStringLiteral("x"));
    QCOMPARE(clip->text(), QStringLiteral("2.0"));

    // A list is shown read-only in the form, as written; its button opens it in the text.
    YamlTextEdit *edit = editor->textEdit();
    const int line = lineOf(edit->toPlainText(), QStringLiteral("reference_checkpoint:"));
    QTextCursor c(edit->document()->findBlockByNumber(line - 1));
    c.movePosition(QTextCursor::EndOfBlock);
    edit->setTextCursor(c);
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_Return);
    QTest::keyClicks(edit, QStringLiteral("freeze: [0, 1]"));
    QTRY_VERIFY(form->editorFor(QStringLiteral("extra"), QStringLiteral("freeze")));
    QVERIFY(!form->isEditable(QStringLiteral("extra"), QStringLiteral("freeze")));
    auto *list = qobject_cast<QLabel *>(form->editorFor(QStringLiteral("extra"), QStringLiteral("freeze")));
    QVERIFY(list);
    QCOMPARE(list->text(), QStringLiteral("[0, 1]"));
    QVERIFY(form->isEditable(QStringLiteral("extra"), QStringLiteral("tokenizer")));
}

void TestGuiConfigEditor::scalarTextReadsBackAsWritten_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("oldRaw");
    QTest::newRow("plain") << QStringLiteral("checkpoints/mamba") << QString();
    QTest::newRow("looks like a bool") << QStringLiteral("true") << QString();
    QTest::newRow("looks like a number") << QStringLiteral("0123") << QString();
    QTest::newRow("looks like null") << QStringLiteral("~") << QString();
    QTest::newRow("empty") << QString() << QString();
    QTest::newRow("colon space") << QStringLiteral("a: b") << QString();
    QTest::newRow("hash") << QStringLiteral("a #b") << QString();
    QTest::newRow("leading indicator") << QStringLiteral("*star") << QString();
    QTest::newRow("leading dash") << QStringLiteral("- item") << QString();
    QTest::newRow("apostrophe") << QStringLiteral("it's: here") << QString();
    QTest::newRow("backslash") << QStringLiteral("C:\\models\\x") << QString();
    QTest::newRow("leading space") << QStringLiteral(" padded") << QString();
    QTest::newRow("keeps double quotes") << QStringLiteral("say \"hi\"") << QStringLiteral("\"old\"");
    QTest::newRow("keeps single quotes") << QStringLiteral("plain") << QStringLiteral("'old'");
    QTest::newRow("unicode") << QStringLiteral("Grüße, 東京") << QString();
}

void TestGuiConfigEditor::scalarTextReadsBackAsWritten()
{
    QFETCH(QString, value);
    QFETCH(QString, oldRaw);
    const QString yaml = ConfigTextMap::scalarText(value, oldRaw);
    if (!oldRaw.isEmpty())
        QCOMPARE(yaml.at(0), oldRaw.at(0));
    // Through the real parser: the text of a setting reads back as the same string.
    QString config = QString::fromUtf8(m_original);
    config.replace(QStringLiteral("  tokenizer: EleutherAI/gpt-neox-20b"), QStringLiteral("  tokenizer: ") + yaml);
    auto parsed = ConfigManager::parseConfig(config.toUtf8(), configPath());
    QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.errorString() + QStringLiteral(" for ") + yaml));
    const QVariant back = parsed->extra.value(QStringLiteral("tokenizer"));
    QCOMPARE(back.typeId(), QMetaType::QString);
    QCOMPARE(back.toString(), value);
    // And the scanner reads it back the same way, as one inline value.
    const ConfigTextMap map = ConfigTextMap::scan(config);
    const ConfigTextEntry *entry = map.find(QStringLiteral("extra"), QStringLiteral("tokenizer"));
    QVERIFY(entry);
    QVERIFY(entry->inlineScalar);
    QCOMPARE(entry->rawValue, yaml);
}

void TestGuiConfigEditor::checkListsMismatchesOfEditedValues()
{
    auto editor = openEditor();
    QVERIFY(editor);
    ConfigCheckPanel *panel = editor->checkPanel();
    QCOMPARE(panel->selectedWeight(), QStringLiteral("mamba_sample")); // the active one
    QSignalSpy finished(panel, &ConfigCheckPanel::checkFinished);

    // Unsaved edit, then check.
    auto *dModel = qobject_cast<QSpinBox *>(editor->formPage()->editorFor(QStringLiteral("architecture"), QStringLiteral("d_model")));
    QVERIFY(dModel);
    dModel->setValue(256);
    QVERIFY(editor->isModified());
    QTest::mouseClick(panel->checkButton(), Qt::LeftButton);
    QVERIFY(finished.wait(10000));
    QVERIFY(panel->errorText().isEmpty());
    QVERIFY(panel->report().has_value());
    const ShapeReport &report = *panel->report();
    QVERIFY(!report.ok());
    QCOMPARE(panel->reportWeight(), QStringLiteral("mamba_sample"));

    const ShapeIssue *normF = nullptr;
    for (const ShapeIssue &issue : report.issues) {
        if (issue.tensor == QLatin1String("backbone.norm_f.weight"))
            normF = &issue;
    }
    QVERIFY(normF);
    QCOMPARE(normF->kind, ShapeIssue::Kind::ShapeMismatch);
    QCOMPARE(normF->actual, QStringLiteral("[128]"));
    QVERIFY2(normF->expected.contains(QStringLiteral("= [256]")), qPrintable(normF->expected));
    // Every issue is listed in the panel, naming its tensor.
    QTreeWidget *view = panel->issueView();
    QCOMPARE(view->topLevelItemCount(), int(report.issues.size()));
    QVERIFY(!view->findItems(QStringLiteral("backbone.norm_f.weight"), Qt::MatchExactly, 1).isEmpty());
    QVERIFY(!view->findItems(QStringLiteral("backbone.layers.0.mixer.in_proj.weight"), Qt::MatchExactly, 1).isEmpty());
    QVERIFY(panel->summaryLabel()->text().contains(QStringLiteral("mamba_sample")));
    // The rule's line is flagged in the text's gutter.
    const int ruleLine = lineOf(editor->text(), QStringLiteral("- name: backbone.norm_f.weight"));
    QCOMPARE(normF->line, ruleLine);
    QVERIFY(editor->textEdit()->issueMarks().contains(ruleLine));
    // Checked against the edited values: the file itself is untouched.
    QCOMPARE(readFile(configPath()), m_original);

    // Back to the original value: the check follows the edit by itself and finds nothing.
    finished.clear();
    dModel->setValue(128);
    QVERIFY(finished.wait(10000));
    QVERIFY(panel->report().has_value());
    QVERIFY(panel->report()->ok());
    QCOMPARE(panel->report()->matched, panel->report()->expected);
    QCOMPARE(view->topLevelItemCount(), 0);
    QVERIFY(editor->textEdit()->issueMarks().isEmpty());

    // Clicking an issue opens its rule in the text.
    finished.clear();
    dModel->setValue(96);
    QVERIFY(finished.wait(10000));
    const auto items = view->findItems(QStringLiteral("backbone.norm_f.weight"), Qt::MatchExactly, 1);
    QCOMPARE(items.size(), 1);
    Q_EMIT view->itemActivated(items.first(), 0);
    QCOMPARE(editor->tabs()->currentWidget(), editor->textEdit());
    QCOMPARE(editor->textEdit()->textCursor().blockNumber() + 1, ruleLine);
}

void TestGuiConfigEditor::saveWritesAtomically()
{
    auto editor = openEditor();
    QVERIFY(editor);
    QSignalSpy saved(editor.get(), &ConfigEditor::saved);
    auto *dModel = qobject_cast<QSpinBox *>(editor->formPage()->editorFor(QStringLiteral("architecture"), QStringLiteral("d_model")));
    QVERIFY(dModel);
    dModel->setValue(256);
    const QString edited = editor->text();

    QVERIFY(editor->save());
    QCOMPARE(saved.count(), 1);
    QVERIFY(!editor->isModified());
    QCOMPARE(editor->title(), QStringLiteral("mamba.yaml"));
    QVERIFY(!editor->saveAction()->isEnabled());
    QCOMPARE(QString::fromUtf8(readFile(configPath())), edited);
    // Comments survive a form edit and a save.
    QVERIFY(readFile(configPath()).contains("  d_model: 256                 # hidden size"));
    // Read by someone else.
    ConfigManager fresh(QDir(m_dir->path()).filePath(QStringLiteral("Config")));
    auto config = fresh.getConfig(QStringLiteral("mamba"));
    QVERIFY(config.ok());
    QCOMPARE(config->architecture.value(QStringLiteral("d_model")).toLongLong(), 256);
    // The write went through a temporary and a rename: nothing else is left in Config/.
    const QStringList files = QDir(fresh.configDir()).entryList(QDir::Files | QDir::Hidden);
    QCOMPARE(files, (QStringList{QStringLiteral("mamba.yaml"), QStringLiteral("mamba_multimodal.yaml"), QStringLiteral("ocr_native.yaml")}));
    // Our own write does not come back as a change on disk.
    QTest::qWait(600);
    QVERIFY(!editor->diskChangeBar()->isVisible());
    QCOMPARE(editor->text(), edited);
}

void TestGuiConfigEditor::saveRefusesInvalidConfig()
{
    auto editor = openEditor();
    QVERIFY(editor);
    YamlTextEdit *edit = editor->textEdit();
    const int line = lineOf(edit->toPlainText(), QStringLiteral("n_layer: 4"));
    retypeLine(edit, line, QStringLiteral("  n_layer: many"));
    QTRY_VERIFY(editor->error().has_value());
    QVERIFY(!editor->saveAction()->isEnabled());
    QVERIFY(!editor->save());
    QVERIFY(editor->messageBar()->isVisible());
    bool named = false;
    for (QLabel *label : editor->messageBar()->findChildren<QLabel *>())
        named = named || label->text().contains(QStringLiteral("architecture.n_layer must be a positive integer"));
    QVERIFY(named);
    QCOMPARE(readFile(configPath()), m_original);
    QVERIFY(editor->isModified());
}

// The session is the window's, and follows the next workspace it opens; an editor's file does
// not. Ctrl+S once wrote into the newly opened workspace's Config/mamba.yaml.
void TestGuiConfigEditor::saveKeepsToItsFileWhenTheSessionMoves()
{
    QTemporaryDir otherDir;
    QVERIFY(otherDir.isValid());
    WeightManager other{Workspace(otherDir.path())};
    QVERIFY(other.setup().ok());
    const QString otherConfig = QDir(otherDir.path()).filePath(QStringLiteral("Config/mamba.yaml"));
    const QByteArray otherOriginal = readFile(otherConfig);
    QVERIFY(!otherOriginal.isEmpty());

    auto editor = openEditor();
    QVERIFY(editor);
    const QString path = editor->filePath();
    QCOMPARE(path, QFileInfo(configPath()).absoluteFilePath());
    QCOMPARE(editor->workspaceRoot(), m_session->root());
    auto *dModel = qobject_cast<QSpinBox *>(editor->formPage()->editorFor(QStringLiteral("architecture"), QStringLiteral("d_model")));
    QVERIFY(dModel);
    dModel->setValue(96);
    QVERIFY(editor->isModified());
    QVERIFY(m_session->open(otherDir.path()).ok());

    editor->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(editor.get()));
    dModel->setFocus();
    QTRY_VERIFY(dModel->hasFocus());
    QTest::keyClick(dModel, Qt::Key_S, Qt::ControlModifier);
    QVERIFY(!editor->isModified());
    QCOMPARE(editor->filePath(), path);
    QCOMPARE(readFile(configPath()), editor->text().toUtf8());
    QVERIFY(readFile(configPath()).contains("d_model: 96"));
    QCOMPARE(readFile(otherConfig), otherOriginal);
}

void TestGuiConfigEditor::maybeSaveAsksAndObeys()
{
    auto editor = openEditor();
    QVERIFY(editor);
    int asked = 0;
    QString question;
    QMessageBox::StandardButton answer = QMessageBox::Cancel;
    editor->setSaveQuestion([&](QWidget *, const QString &, const QString &text) {
        ++asked;
        question = text;
        return answer;
    });
    // Nothing to save: no question.
    QVERIFY(editor->maybeSave());
    QCOMPARE(asked, 0);

    auto *nLayer = qobject_cast<QSpinBox *>(editor->formPage()->editorFor(QStringLiteral("architecture"), QStringLiteral("n_layer")));
    QVERIFY(nLayer);
    nLayer->setValue(8);

    answer = QMessageBox::Cancel;
    QVERIFY(!editor->maybeSave());
    QCOMPARE(asked, 1);
    QVERIFY(question.contains(QStringLiteral("mamba")));
    QVERIFY(editor->isModified());
    QCOMPARE(readFile(configPath()), m_original);

    answer = QMessageBox::Discard;
    QVERIFY(editor->maybeSave());
    QCOMPARE(asked, 2);
    QCOMPARE(readFile(configPath()), m_original);

    answer = QMessageBox::Save;
    QVERIFY(editor->maybeSave());
    QCOMPARE(asked, 3);
    QVERIFY(!editor->isModified());
    QVERIFY(readFile(configPath()).contains("  n_layer: 8 "));

    // A modified but invalid config cannot be saved: Save fails, and closing is refused.
    const int line = lineOf(editor->text(), QStringLiteral("n_layer: 8"));
    retypeLine(editor->textEdit(), line, QStringLiteral("  n_layer: [8"));
    answer = QMessageBox::Save;
    QVERIFY(!editor->maybeSave());
    QCOMPARE(asked, 4);
    QVERIFY(editor->messageBar()->isVisible());
    QVERIFY(readFile(configPath()).contains("  n_layer: 8 "));
}

void TestGuiConfigEditor::diskChangeReloadsWhenUnmodified()
{
    auto editor = openEditor();
    QVERIFY(editor);
    auto *nLayer = qobject_cast<QSpinBox *>(editor->formPage()->editorFor(QStringLiteral("architecture"), QStringLiteral("n_layer")));
    QVERIFY(nLayer);
    QByteArray changed = m_original;
    changed.replace("  n_layer: 4 ", "  n_layer: 12");
    QVERIFY(changed != m_original);
    writeAsOtherProcess(configPath(), changed);
    QTRY_COMPARE_WITH_TIMEOUT(editor->text().toUtf8(), changed, 5000);
    QVERIFY(!editor->isModified());
    QVERIFY(!editor->diskChangeBar()->isVisible());
    QTRY_COMPARE(nLayer->value(), 12);
    // The reload is one undoable step.
    editor->undoAction()->trigger();
    QCOMPARE(editor->text().toUtf8(), m_original);
    QVERIFY(editor->isModified());
}

void TestGuiConfigEditor::diskChangeOffersReloadWhenModified()
{
    auto editor = openEditor();
    QVERIFY(editor);
    auto *dModel = qobject_cast<QSpinBox *>(editor->formPage()->editorFor(QStringLiteral("architecture"), QStringLiteral("d_model")));
    QVERIFY(dModel);
    dModel->setValue(512);
    const QString mine = editor->text();

    QByteArray theirs = m_original;
    theirs.replace("  n_layer: 4 ", "  n_layer: 12");
    writeAsOtherProcess(configPath(), theirs);
    QTRY_VERIFY_WITH_TIMEOUT(editor->diskChangeBar()->isVisible(), 5000);
    QCOMPARE(editor->text(), mine); // nothing lost
    QVERIFY(editor->isModified());

    // Keep mine: the bar goes, the edits stay, and saving would overwrite theirs.
    QPushButton *keep = nullptr;
    QPushButton *reload = nullptr;
    for (QPushButton *b : editor->diskChangeBar()->findChildren<QPushButton *>()) {
        if (b->text() == QLatin1String("Keep Mine"))
            keep = b;
        if (b->text() == QLatin1String("Reload"))
            reload = b;
    }
    QVERIFY(keep && reload);
    QTest::mouseClick(keep, Qt::LeftButton);
    QVERIFY(!editor->diskChangeBar()->isVisible());
    QCOMPARE(editor->text(), mine);
    QVERIFY(editor->isModified());

    // A further change brings the bar back; Reload takes the file's text.
    theirs.replace("  n_layer: 12", "  n_layer: 16");
    writeAsOtherProcess(configPath(), theirs);
    QTRY_VERIFY_WITH_TIMEOUT(editor->diskChangeBar()->isVisible(), 5000);
    QTest::mouseClick(reload, Qt::LeftButton);
    QVERIFY(!editor->diskChangeBar()->isVisible());
    QCOMPARE(editor->text().toUtf8(), theirs);
    QVERIFY(!editor->isModified());
    QCOMPARE(dModel->value(), 128);
    // Undo brings the user's version back.
    editor->undoAction()->trigger();
    QCOMPARE(editor->text(), mine);
}

QTEST_MAIN(TestGuiConfigEditor)
#include "tst_gui_configeditor.moc"
