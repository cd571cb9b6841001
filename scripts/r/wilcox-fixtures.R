# Known answers for the canary judge's statistics, computed by R itself.
#
# Reads  test/fixtures/canary/wilcox-inputs.json
# Writes test/fixtures/canary/wilcox-expected.json
#
# Both files are committed, so the tests never need R. The inputs come from
# scripts/r/wilcox-inputs.mjs; after changing them, from the repository root:
#   node scripts/r/wilcox-inputs.mjs && Rscript scripts/r/wilcox-fixtures.R
# Needs R (Debian: r-base-core) and jsonlite (r-cran-jsonlite).

suppressPackageStartupMessages(library(jsonlite))

input_path <- "test/fixtures/canary/wilcox-inputs.json"
output_path <- "test/fixtures/canary/wilcox-expected.json"
inputs <- fromJSON(input_path, simplifyVector = TRUE, simplifyDataFrame = FALSE)

# The judge's test: two-sample, two-sided, normal approximation with continuity correction.
wilcox_case <- function(case) {
  r <- suppressWarnings(wilcox.test(case$x, case$y, conf.int = TRUE, exact = FALSE,
                                    correct = TRUE, conf.level = case$confLevel))
  list(name = case$name, estimate = unname(r$estimate),
       lower = r$conf.int[1], upper = r$conf.int[2])
}

quantile_case <- function(case) {
  list(name = case$name, probs = case$probs,
       quantiles = unname(quantile(case$values, probs = case$probs, type = 7)))
}

# Kayenta's IQR detector with reduced sensitivity, R-7 percentiles.
fence_case <- function(case) {
  q <- function(p) unname(quantile(case$values, probs = p, type = 7))
  iqr <- q(0.75) - q(0.25)
  list(name = case$name,
       lower = min(q(0.01), q(0.25) - case$factor * iqr),
       upper = max(q(0.99), q(0.75) + case$factor * iqr))
}

# Vargha and Delaney's common language effect size, as Kayenta's EffectSizes.cles.
cles_case <- function(case) {
  m <- length(case$canary)
  n <- length(case$baseline)
  r1 <- sum(rank(c(case$canary, case$baseline))[seq_len(m)])
  list(name = case$name, cles = (2 * r1 - m * (m + 1)) / (2 * n * m))
}

expected <- list(
  generatedBy = paste("scripts/r/wilcox-fixtures.R with", R.version.string),
  wilcox = lapply(inputs$wilcox, wilcox_case),
  quantiles = lapply(inputs$quantiles, quantile_case),
  fences = lapply(inputs$fences, fence_case),
  cles = lapply(inputs$cles, cles_case),
  qnorm = lapply(inputs$qnorm, function(p) list(p = p, q = qnorm(p)))
)

# jsonlite prints at most 15 significant digits; 17 make every double round-trip exactly,
# so the tests can tell "identical to R" from "close to R".
to_json <- function(v, indent = "") {
  inner <- paste0(indent, "  ")
  if (is.list(v)) {
    items <- vapply(v, to_json, "", indent = inner)
    if (is.null(names(v))) return(paste0("[\n", inner, paste(items, collapse = paste0(",\n", inner)), "\n", indent, "]"))
    keys <- vapply(names(v), function(k) as.character(toJSON(k, auto_unbox = TRUE)), "")
    return(paste0("{\n", inner, paste(paste0(keys, ": ", items), collapse = paste0(",\n", inner)), "\n", indent, "}"))
  }
  if (is.character(v)) return(as.character(toJSON(v, auto_unbox = TRUE)))
  numbers <- ifelse(is.finite(v), sprintf("%.17g", v), "null")
  if (length(v) == 1) numbers else paste0("[", paste(numbers, collapse = ", "), "]")
}

writeLines(to_json(expected), output_path)
cat("wrote", output_path, "\n")
