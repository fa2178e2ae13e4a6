#include "curlapi.h"

#include <dlfcn.h>

#include <mutex>

namespace tantra {

namespace {

// CURLOPT_AWS_SIGV4 that keeps our own x-amz-content-sha256 header (see S3Client).
constexpr unsigned kOldestVersion = 0x075700; // 7.87.0

struct Loaded
{
    CurlApi api{};
    QString problem;
};

template<typename F>
bool resolve(void *library, const char *name, F &into, QString &problem)
{
    into = reinterpret_cast<F>(::dlsym(library, name));
    if (!into && problem.isEmpty())
        problem = QStringLiteral("libcurl.so.4 has no %1").arg(QLatin1String(name));
    return into != nullptr;
}

Loaded load()
{
    Loaded out;
    // Never closed: its threads' handles and the global state live until the process ends.
    void *library = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        const char *why = ::dlerror();
        out.problem = QStringLiteral("cannot load libcurl.so.4 (install libcurl4): %1").arg(QString::fromLocal8Bit(why ? why : "unknown error"));
        return out;
    }
    CurlApi &a = out.api;
    QString &p = out.problem;
    resolve(library, "curl_global_init", a.globalInit, p);
    resolve(library, "curl_version_info", a.versionInfo, p);
    resolve(library, "curl_easy_init", a.easyInit, p);
    resolve(library, "curl_easy_cleanup", a.easyCleanup, p);
    resolve(library, "curl_easy_reset", a.easyReset, p);
    resolve(library, "curl_easy_setopt", a.easySetopt, p);
    resolve(library, "curl_easy_perform", a.easyPerform, p);
    resolve(library, "curl_easy_strerror", a.easyStrerror, p);
    resolve(library, "curl_slist_append", a.slistAppend, p);
    resolve(library, "curl_slist_free_all", a.slistFreeAll, p);
    if (!p.isEmpty())
        return out;
    const curl_version_info_data *info = a.versionInfo(CURLVERSION_NOW);
    if (!info || info->version_num < kOldestVersion) {
        p = QStringLiteral("libcurl %1 is too old: S3 signing needs 7.87 or newer").arg(QLatin1String(info && info->version ? info->version : "?"));
        return out;
    }
    if (const CURLcode code = a.globalInit(CURL_GLOBAL_DEFAULT); code != CURLE_OK)
        p = QStringLiteral("libcurl did not initialise: %1").arg(QLatin1String(a.easyStrerror(code)));
    return out;
}

} // namespace

const CurlApi *curlApi(QString *problem)
{
    static std::once_flag once;
    static Loaded loaded;
    std::call_once(once, [] { loaded = load(); });
    if (!loaded.problem.isEmpty()) {
        if (problem)
            *problem = loaded.problem;
        return nullptr;
    }
    return &loaded.api;
}

} // namespace tantra
