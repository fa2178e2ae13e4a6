// ui-bench [TENSORS]: load, filter and sort times of the tensor browser's models for a model
// of TENSORS tensors (100,000 by default), written as a sparse file (header only, data a
// hole). Prints one line per step in milliseconds. Runs on any QPA (offscreen is fine).
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "tensorbrowser.h"
#include "tensorsortfilterproxy.h"
#include "tensortablemodel.h"
#include "tensortreemodel.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTreeView>

#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>

using namespace tantra;

namespace {

QTextStream out(stdout);

// CPU time of this thread: on a busy machine wall time also counts other processes' turns.
double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

double timeIt(const QString &label, const std::function<void()> &step, const std::function<QString()> &detail = {})
{
    QElapsedTimer clock;
    const double cpu0 = threadCpuMs();
    clock.start();
    step();
    const double ms = double(clock.nsecsElapsed()) / 1e6;
    const double cpu = threadCpuMs() - cpu0;
    out << QStringLiteral("%1 %2 ms  (GUI thread CPU %3 ms)").arg(label, -44).arg(ms, 8, 'f', 1).arg(cpu, 7, 'f', 1);
    if (detail)
        out << QStringLiteral("   ") << detail();
    out << Qt::endl;
    return ms;
}

// A transformer-like naming scheme: 50 tensors per layer, in groups, of several shapes.
std::vector<TensorSpec> makeSpecs(int count)
{
    static const char *const modules[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                          "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj",    "input_layernorm",
                                          "post_attention_layernorm", "mixer.in_proj"};
    static const char *const params[] = {"weight", "bias", "scales", "zeros", "g_idx"};
    std::vector<TensorSpec> specs;
    specs.reserve(std::size_t(count));
    for (int i = 0; i < count; ++i) {
        const int layer = i / 50;
        const int module = (i / 5) % 10;
        const int param = i % 5;
        TensorSpec spec;
        spec.name = "model.layers." + std::to_string(layer) + '.' + modules[module] + '.' + params[param];
        spec.dtype = param == 0 ? Dtype::BF16 : (param == 4 ? Dtype::I32 : Dtype::F32);
        spec.shape = param == 0 ? std::vector<std::uint64_t>{std::uint64_t(64 + module * 32), 256}
                                : std::vector<std::uint64_t>{std::uint64_t(64 + (i % 97))};
        specs.push_back(std::move(spec));
    }
    return specs;
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int count = argc > 1 ? std::max(1, std::atoi(argv[1])) : 100'000;

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bench.safetensors"));
    const std::vector<TensorSpec> specs = makeSpecs(count);
    out << QStringLiteral("ui-bench: %1 tensors").arg(count) << Qt::endl;
    timeIt(QStringLiteral("write sparse file"), [&] {
        const Status written = writeSparseSafetensors(path, specs);
        if (!written)
            qFatal("%s", qPrintable(written.errorString()));
    });

    std::shared_ptr<const SafetensorsModel> model;
    timeIt(QStringLiteral("open (parse header)"), [&] {
        auto opened = SafetensorsModel::open(path);
        if (!opened)
            qFatal("%s", qPrintable(opened.errorString()));
        model = std::make_shared<const SafetensorsModel>(std::move(opened).value());
    });

    // The models alone.
    TensorTableModel table;
    TensorSortFilterProxy tableProxy;
    tableProxy.setSourceModel(&table);
    timeIt(QStringLiteral("table model load + proxy (file order)"), [&] {
        table.setModel(model);
        tableProxy.rowCount();
    });
    timeIt(QStringLiteral("table sort by size"), [&] { tableProxy.sort(TensorItemSource::BytesColumn); });
    timeIt(QStringLiteral("table sort by name (first: waits for the ranking)"), [&] { tableProxy.sort(TensorItemSource::NameColumn); });
    timeIt(QStringLiteral("table sort by size, descending"), [&] { tableProxy.sort(TensorItemSource::BytesColumn, Qt::DescendingOrder); });
    timeIt(QStringLiteral("table sort by name (again)"), [&] { tableProxy.sort(TensorItemSource::NameColumn); });
    timeIt(QStringLiteral("table filter glob *.mlp.*.weight"),
           [&] {
               tableProxy.setFilterPattern(QStringLiteral("*.mlp.*.weight"));
               tableProxy.rowCount();
           },
           [&] { return QStringLiteral("%1 rows").arg(tableProxy.rowCount()); });
    timeIt(QStringLiteral("table filter regex /layers\\.1[0-9]{2}\\./"),
           [&] {
               tableProxy.setFilterPattern(QStringLiteral("/layers\\.1[0-9]{2}\\./"));
               tableProxy.rowCount();
           },
           [&] { return QStringLiteral("%1 rows").arg(tableProxy.rowCount()); });
    timeIt(QStringLiteral("table filter cleared"), [&] {
        tableProxy.setFilterPattern(QString());
        tableProxy.rowCount();
    });

    TensorTreeModel tree;
    TensorSortFilterProxy treeProxy;
    treeProxy.setSourceModel(&tree);
    timeIt(QStringLiteral("tree model build + proxy"), [&] {
        tree.setModel(model);
        treeProxy.rowCount();
    });
    // The proxy maps a tree's levels lazily; counting every visible row maps them all.
    const std::function<int(const QModelIndex &)> countRows = [&](const QModelIndex &parent) {
        int rows = treeProxy.rowCount(parent);
        for (int row = 0, n = rows; row < n; ++row)
            rows += countRows(treeProxy.index(row, 0, parent));
        return rows;
    };
    timeIt(QStringLiteral("tree sort by name, map every level"), [&] {
        treeProxy.sort(TensorItemSource::NameColumn);
        countRows({});
    });
    timeIt(QStringLiteral("tree filter glob *.mlp.*.weight, map all"), [&] {
        treeProxy.setFilterPattern(QStringLiteral("*.mlp.*.weight"));
        countRows({});
    });

    // The whole widget, as a user meets it: visible, then loaded, then filtered.
    TensorBrowser browser;
    browser.resize(1400, 900);
    browser.show();
    QCoreApplication::processEvents();
    timeIt(QStringLiteral("browser setModel (both views, painted)"), [&] {
        browser.setModel(model);
        QCoreApplication::processEvents();
    });
    timeIt(QStringLiteral("browser filter *.self_attn.* (painted)"), [&] {
        browser.setFilterText(QStringLiteral("*.self_attn.*"));
        QCoreApplication::processEvents();
    }, [&] { return QStringLiteral("%1 rows").arg(browser.tableProxy()->rowCount()); });
    browser.setViewMode(TensorBrowser::ViewMode::Table);
    timeIt(QStringLiteral("browser clear filter, table view (painted)"), [&] {
        browser.setFilterText(QString());
        QCoreApplication::processEvents();
    });
    timeIt(QStringLiteral("browser scroll table to end (painted)"), [&] {
        browser.tableView()->scrollToBottom();
        QCoreApplication::processEvents();
    });
    // A click on a column header, as sortByColumn is what the header calls.
    timeIt(QStringLiteral("browser table sort by size (painted)"), [&] {
        browser.tableView()->sortByColumn(TensorItemSource::BytesColumn, Qt::DescendingOrder);
        QCoreApplication::processEvents();
    });
    timeIt(QStringLiteral("browser table sort by name (painted)"), [&] {
        browser.tableView()->sortByColumn(TensorItemSource::NameColumn, Qt::AscendingOrder);
        QCoreApplication::processEvents();
    });
    browser.setViewMode(TensorBrowser::ViewMode::Tree);
    QCoreApplication::processEvents();
    timeIt(QStringLiteral("browser tree sort by name, descending (painted)"), [&] {
        browser.treeView()->sortByColumn(TensorItemSource::NameColumn, Qt::DescendingOrder);
        QCoreApplication::processEvents();
    });
    timeIt(QStringLiteral("browser tree sort by size (painted)"), [&] {
        browser.treeView()->sortByColumn(TensorItemSource::BytesColumn, Qt::DescendingOrder);
        QCoreApplication::processEvents();
    });
    return 0;
}
