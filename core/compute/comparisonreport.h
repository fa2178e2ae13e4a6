#pragma once

#include "weightcomparison.h"

#include <QString>

namespace tantra {

// The comparison as the CLI's `diff` and the app's compare view report it: one summary line,
// and the JSON report (its schema is in the man page, under diff), so that the two faces never disagree.

// "42 tensors: 40 identical, 2 changed (largest rel_l2 1.3e-02: layers.0.w); 1 metadata key differs"
QString comparisonSummary(const WeightComparison &c);

// The report as JSON: the two sides' paths, the options, counts by status, every tensor and
// the metadata changes. Integers are written exactly; an undefined quotient is null.
QByteArray comparisonJson(const QString &pathA, const QString &pathB, const CompareOptions &options,
                          const WeightComparison &c);

// Where the largest difference lies: known when a finite pair was compared, which an
// identical tensor (bytes compared, not values) does not tell.
bool hasMaxIndex(const TensorComparison &t);

} // namespace tantra
