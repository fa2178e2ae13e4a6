#pragma once

#include "s3client.h"

#include <QString>

namespace tantra::test {

// A throwaway Ceph RADOS Gateway for a test (tests/s3/rgw.sh), or the server named by
// $S3_ENDPOINT, $S3_ACCESS_KEY, $S3_SECRET_KEY and $S3_BUCKET. The cluster stops with this
// object, and with the test process if that dies first (RGW_SH_OWNER_PID).
class RgwServer
{
public:
    enum class State { Running, Missing, Failed };

    RgwServer() = default;
    RgwServer(const RgwServer &) = delete;
    RgwServer &operator=(const RgwServer &) = delete;
    ~RgwServer();

    // Starts the cluster in `dir` and creates the bucket. Missing: Ceph is not installed (the
    // caller skips, or fails when $TANTRA_REQUIRE_S3 is set); `message` says why not.
    State start(const QString &dir, QString *message);
    // Stops the cluster this object started; false (and `message`) when the script failed.
    bool stop(QString *message = nullptr);

    S3Endpoint endpoint;
    S3Credentials credentials;

private:
    QString m_cluster;
};

} // namespace tantra::test
