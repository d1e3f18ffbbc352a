// `trustprop info FILE [--json] [--verify]`: what a graph file holds. Reading
// always checks the CSR invariants; --verify also recomputes the content
// hash and compares it with the one stored when the file was written.
#include <sys/stat.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "host/commands.hpp"
#include "host/graph_stats.hpp"
#include "io/graph_file.hpp"

namespace trustprop::host {

namespace {

struct InfoOptions {
  std::string path;
  bool json = false, verify = false;
};

void run_info(const InfoOptions& o) {
  const io::GraphHeader h = io::read_graph_header(o.path);
  const io::Graph g = io::read_graph(o.path);  // throws on the first broken invariant
  nlohmann::json verify;
  if (o.verify) {
    const std::string actual = io::compute_content_hash(g);
    if (h.content_hash.empty())
      throw DataError(o.path + ": root attribute trustprop.content_hash is missing; cannot verify the contents");
    if (actual != h.content_hash)
      throw DataError(o.path + ": contents do not match trustprop.content_hash (stored " + h.content_hash +
                      ", computed " + actual + "): the file is corrupted");
    verify = {{"structure", "ok"}, {"content_hash", "ok"}};
  }
  const GraphStats s = compute_stats(g);
  struct stat st {};
  stat(o.path.c_str(), &st);
  if (o.json) {
    nlohmann::json j = to_json(s);
    j["file"] = o.path;
    j["bytes"] = static_cast<std::int64_t>(st.st_size);
    j["format_version"] = h.format_version;
    j["source"] = h.source;
    j["content_hash"] = h.content_hash;
    j["attributes"] = h.attributes;
    if (o.verify) j["verify"] = verify;
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("file          %s (%.1f MiB, format version %lld)\n", o.path.c_str(), st.st_size / 1048576.0,
              static_cast<long long>(h.format_version));
  std::printf("source        %s\n", h.source.c_str());
  std::printf("agents        %lld\n", static_cast<long long>(s.agents));
  std::printf("edges         %lld (%s)\n", static_cast<long long>(s.edges),
              s.negative ? "signed" : "unsigned");
  std::printf("out-degree    mean %.2f, median %g, min %lld, max %lld\n", s.out_degree.mean,
              s.out_degree.median, static_cast<long long>(s.out_degree.min),
              static_cast<long long>(s.out_degree.max));
  std::printf("in-degree     mean %.2f, median %g, min %lld, max %lld\n", s.in_degree.mean,
              s.in_degree.median, static_cast<long long>(s.in_degree.min),
              static_cast<long long>(s.in_degree.max));
  std::printf("weights       %g .. %g (%lld negative, %lld zero)\n", s.weight_min, s.weight_max,
              static_cast<long long>(s.negative), static_cast<long long>(s.zero));
  std::printf("dangling      %lld agents with no positive out-trust\n", static_cast<long long>(s.dangling));
  std::printf("isolated      %lld\n", static_cast<long long>(s.isolated));
  std::printf("self-loops    %lld\n", static_cast<long long>(s.self_loops));
  if (s.has_kinds)
    std::printf("kinds         %lld residents, %lld enterprises, %lld institutions\n",
                static_cast<long long>(s.kinds[0]), static_cast<long long>(s.kinds[1]),
                static_cast<long long>(s.kinds[2]));
  std::printf("original ids  %s\n", s.has_ids ? "yes (/agents/id)" : "no");
  std::printf("content hash  %s\n", h.content_hash.c_str());
  if (o.verify) std::printf("verify        ok: CSR invariants hold and the content hash matches\n");
}

}  // namespace

void add_info(CLI::App& app, GlobalOptions&) {
  auto o = std::make_shared<InfoOptions>();
  auto* cmd = app.add_subcommand("info", "Describe a graph file");
  cmd->add_option("file", o->path, "Graph file (HDF5)")->required();
  cmd->add_flag("--json", o->json, "Print as JSON");
  cmd->add_flag("--verify", o->verify, "Also check the stored content hash");
  cmd->callback([o] { run_info(*o); });
}

}  // namespace trustprop::host
