#include "benchreport.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace tantra {

std::string format(const char *fmt, ...)
{
    char buffer[512];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buffer, sizeof buffer, fmt, args);
    va_end(args);
    return buffer;
}

void BenchReport::add(Row row)
{
    std::printf("  %-44s %-22s %s\n", row.measurement.c_str(), row.figure.c_str(), row.reference.c_str());
    std::fflush(stdout);
    m_rows.push_back(std::move(row));
}

int BenchReport::missed() const
{
    return int(std::count_if(m_rows.begin(), m_rows.end(), [](const Row &r) { return r.met == false; }));
}

void BenchReport::print() const
{
    std::size_t w[4] = {11, 6, 9, 6}; // at least the column titles
    for (const auto &r : m_rows) {
        w[0] = std::max(w[0], r.measurement.size());
        w[1] = std::max(w[1], r.figure.size());
        w[2] = std::max(w[2], r.reference.size());
        w[3] = std::max(w[3], r.target.size());
    }
    const auto line = [&](const char *a, const char *b, const char *c, const char *d, const char *e) {
        std::printf("| %-*s | %-*s | %-*s | %-*s | %-7s |\n", int(w[0]), a, int(w[1]), b, int(w[2]), c, int(w[3]), d, e);
    };
    std::printf("\n");
    line("Measurement", "Figure", "Reference", "Target", "Verdict");
    std::printf("|%s|%s|%s|%s|---------|\n", std::string(w[0] + 2, '-').c_str(), std::string(w[1] + 2, '-').c_str(),
                std::string(w[2] + 2, '-').c_str(), std::string(w[3] + 2, '-').c_str());
    for (const auto &r : m_rows)
        line(r.measurement.c_str(), r.figure.c_str(), r.reference.c_str(), r.target.c_str(),
             !r.met ? "-" : *r.met ? "PASS" : "MISS");
    std::fflush(stdout);
}

} // namespace tantra
