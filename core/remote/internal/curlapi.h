#pragma once

#include <QString>

#include <curl/curl.h>

namespace tantra {

// libcurl's entry points, loaded with dlopen when the first S3 request is made rather than
// linked. Linked, libcurl and what it needs (GnuTLS through librtmp, Kerberos, LDAP, SSH, 25
// libraries in all on Debian 12) were loaded, relocated and initialised at the start of every
// process: 10 ms of each `tantra-model-manager` run on this project's machine (an empty
// program linked against our libraries starts in 12 ms without it, 22 ms with it; perf stat
// -r 40), 7% of an `inspect --stats` of 1 GiB, for a library only push, pull and the Remotes
// page use.
struct CurlApi
{
    decltype(&curl_global_init) globalInit;
    decltype(&curl_version_info) versionInfo;
    decltype(&curl_easy_init) easyInit;
    decltype(&curl_easy_cleanup) easyCleanup;
    decltype(&curl_easy_reset) easyReset;
    decltype(&curl_easy_setopt) easySetopt;
    decltype(&curl_easy_perform) easyPerform;
    decltype(&curl_easy_strerror) easyStrerror;
    decltype(&curl_slist_append) slistAppend;
    decltype(&curl_slist_free_all) slistFreeAll;
};

// The loaded and initialised library (once per process), or nullptr with `problem` saying why:
// libcurl.so.4 missing, lacking an entry point, or older than the 7.87 whose SigV4 signing we
// rely on.
const CurlApi *curlApi(QString *problem);

} // namespace tantra
