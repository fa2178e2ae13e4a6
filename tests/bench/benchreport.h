#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tantra {

// The table tantra-bench ends with: each figure beside its target and a verdict.
class BenchReport
{
public:
    struct Row
    {
        std::string measurement;
        std::string figure;
        std::string reference; // what the figure is compared with, if anything
        std::string target;
        std::optional<bool> met; // empty: informational, no target
    };

    void add(Row row);
    void print() const;
    int missed() const;

private:
    std::vector<Row> m_rows;
};

// printf into a std::string.
std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

} // namespace tantra
