// Progress reports: plain lines at the interval, nothing for "none".
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "host/progress.hpp"

using trustprop::host::Progress;

TEST(Progress, PlainPrintsLinesAndNonePrintsNothing) {
  ::testing::internal::CaptureStderr();
  {
    Progress p("plain", "eigentrust", 0.0);
    p.update(1, 10, "residual 1.0e-01");
    p.update(2, 10, "residual 1.0e-02");
  }
  const std::string plain = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(plain.find("eigentrust: 1/10, residual 1.0e-01"), std::string::npos) << plain;
  EXPECT_NE(plain.find("eigentrust: 2/10, residual 1.0e-02"), std::string::npos) << plain;

  ::testing::internal::CaptureStderr();
  {
    Progress p("none", "eigentrust", 0.0);
    p.update(1, 10, "x");
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");

  ::testing::internal::CaptureStderr();
  {
    Progress p("plain", "eigentrust", 3600.0);  // interval not reached: silent
    p.update(1, 10, "x");
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(Progress, BarRedrawsOneLine) {
  ::testing::internal::CaptureStderr();
  {
    Progress p("bar", "sim", 0.0);
    p.update(5, 10, "ok");
  }
  const std::string bar = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(bar.front(), '\r');
  EXPECT_NE(bar.find("[===============               ] 5/10 ok"), std::string::npos) << bar;
  EXPECT_EQ(bar.back(), '\n');
}

TEST(Progress, ABarOfAFastLoopIsRedrawnAtMostTenTimesASecondAndShowsTheEnd) {
  ::testing::internal::CaptureStderr();
  {
    Progress p("bar", "sim", 0.0);
    for (int i = 1; i <= 100000; ++i) p.update(i, 100000, "ok");  // well under a second
  }
  const std::string bar = ::testing::internal::GetCapturedStderr();
  EXPECT_LE(std::count(bar.begin(), bar.end(), '\r'), 20) << bar.size() << " bytes";
  EXPECT_NE(bar.find("100000/100000 ok"), std::string::npos);
}
