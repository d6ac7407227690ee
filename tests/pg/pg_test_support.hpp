// pg_test_support.hpp — one throwaway cluster per test binary, a fresh database per test.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "support/pg_cluster.hpp"

namespace crewai::test {

class PgTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!cluster_) cluster_ = std::make_unique<PgCluster>();
  }
  static void TearDownTestSuite() { cluster_.reset(); }

  void SetUp() override {
    if (!cluster_->skip_reason().empty()) GTEST_SKIP() << "PostgreSQL tests skipped: " << cluster_->skip_reason();
    static std::atomic<int> n{0};
    db_ = "t" + std::to_string(::getpid()) + "_" + std::to_string(++n);
    ASSERT_TRUE(cluster_->create_database(db_)) << "CREATE DATABASE " << db_;
  }

  PgCluster& cluster() { return *cluster_; }
  std::string uri() const { return cluster_->uri(db_); }

  inline static std::unique_ptr<PgCluster> cluster_;
  std::string db_;
};

}  // namespace crewai::test
