// Identity of a journal: the inputs' hash and the URL as it may be stored.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <memory>
#include <random>
#include <string_view>

#include <openssl/evp.h>

#include "batch/journal.hpp"
#include "protocol/json_util.hpp"

namespace crewai::batch {
namespace {

constexpr std::array<std::string_view, 9> kCredentialWords{
    "token", "key", "secret", "passw", "signature", "auth", "credential", "session", "sig"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool looks_like_credential(std::string_view name) {
  const std::string n = lower(name);
  if (n == "sig") return true;
  return std::any_of(kCredentialWords.begin(), kCredentialWords.end() - 1,
                     [&](std::string_view w) { return n.find(w) != std::string::npos; });
}

bool query_has_credentials(std::string_view query) {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    std::size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view param = query.substr(pos, amp - pos);
    if (looks_like_credential(param.substr(0, param.find('=')))) return true;
    pos = amp + 1;
  }
  return false;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

void feed(EVP_MD_CTX* ctx, std::string_view bytes) {
  std::array<unsigned char, 8> len{};
  std::uint64_t n = bytes.size();
  for (auto& b : len) {
    b = static_cast<unsigned char>(n & 0xffU);
    n >>= 8;
  }
  EVP_DigestUpdate(ctx, len.data(), len.size());
  EVP_DigestUpdate(ctx, bytes.data(), bytes.size());
}

// Sorted keys (nlohmann objects are ordered maps), no whitespace; bad UTF-8 cannot throw here.
std::string canonical(const Json& j) {
  return protocol::dump_json(j);
}

}  // namespace

std::string journal_safe_url(const std::string& url) {
  std::string_view rest = url;
  std::string out;
  if (auto scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    out = lower(rest.substr(0, scheme_end)) + "://";
    rest.remove_prefix(scheme_end + 3);
    std::size_t auth_end = rest.find_first_of("/?#");
    if (auth_end == std::string_view::npos) auth_end = rest.size();
    std::string_view authority = rest.substr(0, auth_end);
    if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    out += lower(authority);
    rest.remove_prefix(auth_end);
  }
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  out += rest;
  if (!query.empty() && !query_has_credentials(query)) {
    out += '?';
    out += query;
  }
  return out;
}

std::string new_batch_id() {
  std::random_device rd;
  std::uint64_t bits = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (auto& c : id) {
    c = kHex[bits & 0xf];
    bits >>= 4;
  }
  return id;
}

std::string hash_items(const std::vector<BatchItem>& items) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  feed(ctx.get(), "crewai-batch-inputs/1");
  feed(ctx.get(), std::to_string(items.size()));
  for (const auto& item : items) {
    feed(ctx.get(), std::to_string(item.index));
    feed(ctx.get(), item.id);
    feed(ctx.get(), canonical(item.inputs));
    feed(ctx.get(), canonical(item.meta));
    feed(ctx.get(), item.invalid_reason);
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest.data(), &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

}  // namespace crewai::batch
