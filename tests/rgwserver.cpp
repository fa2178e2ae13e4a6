#include "rgwserver.h"

#include <QCoreApplication>
#include <QProcess>

namespace tantra::test {

RgwServer::~RgwServer()
{
    stop();
}

RgwServer::State RgwServer::start(const QString &dir, QString *message)
{
    if (!qEnvironmentVariableIsEmpty("S3_ENDPOINT")) {
        endpoint.endpoint = qEnvironmentVariable("S3_ENDPOINT");
        endpoint.bucket = qEnvironmentVariable("S3_BUCKET");
        credentials.accessKey = qEnvironmentVariable("S3_ACCESS_KEY");
        credentials.secretKey = qEnvironmentVariable("S3_SECRET_KEY");
    } else {
        QProcess start;
        start.setProcessChannelMode(QProcess::MergedChannels);
        QProcessEnvironment owner = QProcessEnvironment::systemEnvironment();
        owner.insert(QStringLiteral("RGW_SH_OWNER_PID"), QString::number(QCoreApplication::applicationPid()));
        start.setProcessEnvironment(owner);
        start.start(QStringLiteral(TANTRA_RGW_SCRIPT), {QStringLiteral("start"), dir});
        if (!start.waitForFinished(180000)) {
            *message = QStringLiteral("rgw.sh start did not finish in 3 minutes");
            return State::Failed;
        }
        if (start.exitCode() == 77) {
            *message = QString::fromLocal8Bit(start.readAll());
            return State::Missing;
        }
        if (start.exitCode() != 0) {
            *message = QString::fromLocal8Bit(start.readAll());
            return State::Failed;
        }
        m_cluster = dir;
        QProcess env;
        env.start(QStringLiteral(TANTRA_RGW_SCRIPT), {QStringLiteral("env"), dir});
        env.waitForFinished();
        for (const QByteArray &line : env.readAllStandardOutput().split('\n')) {
            const QByteArray assignment = line.mid(7); // "export "
            const qsizetype eq = assignment.indexOf('=');
            const QByteArray name = assignment.left(eq);
            const QString value = QString::fromUtf8(assignment.mid(eq + 1)).remove(QLatin1Char('\''));
            if (name == "S3_ENDPOINT")
                endpoint.endpoint = value;
            else if (name == "S3_BUCKET")
                endpoint.bucket = value;
            else if (name == "S3_ACCESS_KEY")
                credentials.accessKey = value;
            else if (name == "S3_SECRET_KEY")
                credentials.secretKey = value;
        }
    }
    if (endpoint.endpoint.isEmpty() || endpoint.bucket.isEmpty() || credentials.secretKey.isEmpty()) {
        *message = QStringLiteral("the server's address, bucket or key is missing");
        return State::Failed;
    }
    endpoint.pathStyle = true;
    if (auto made = S3Client(endpoint, credentials).createBucket(); !made) {
        *message = made.errorString();
        return State::Failed;
    }
    return State::Running;
}

bool RgwServer::stop(QString *message)
{
    if (m_cluster.isEmpty())
        return true;
    QProcess stop;
    stop.setProcessChannelMode(QProcess::MergedChannels);
    stop.start(QStringLiteral(TANTRA_RGW_SCRIPT), {QStringLiteral("stop"), m_cluster});
    m_cluster.clear();
    const bool ok = stop.waitForFinished(60000) && stop.exitCode() == 0;
    if (!ok && message)
        *message = QString::fromLocal8Bit(stop.readAll());
    return ok;
}

} // namespace tantra::test
