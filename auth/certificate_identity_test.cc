#include "auth/certificate_identity.h"

#include <string>

#include "auth/testing/self_signed.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::auth {
namespace {

using ::farm::auth::testing::SelfSignedPem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ParseCertificateSubjectTest, ReadsTheCommonNameAndEveryUnit) {
  absl::StatusOr<CertificateSubject> subject =
      ParseCertificateSubject(SelfSignedPem({{"O", "farm"},
                                             {"OU", "worker"},
                                             {"CN", "team-a"},
                                             {"OU", "admin"}}));
  ASSERT_TRUE(subject.ok()) << subject.status();
  EXPECT_EQ(subject->common_name, "team-a");
  EXPECT_THAT(subject->organizational_units, ElementsAre("worker", "admin"));
}

TEST(ParseCertificateSubjectTest, ReadsTheFirstCertificateOfAChain) {
  absl::StatusOr<CertificateSubject> subject =
      ParseCertificateSubject(SelfSignedPem({{"CN", "leaf"}}) +
                              SelfSignedPem({{"CN", "intermediate"}}));
  ASSERT_TRUE(subject.ok()) << subject.status();
  EXPECT_EQ(subject->common_name, "leaf");
  EXPECT_THAT(subject->organizational_units, IsEmpty());
}

TEST(ParseCertificateSubjectTest, NoCommonNameIsEmpty) {
  absl::StatusOr<CertificateSubject> subject =
      ParseCertificateSubject(SelfSignedPem({{"O", "farm"}}));
  ASSERT_TRUE(subject.ok()) << subject.status();
  EXPECT_EQ(subject->common_name, "");
}

TEST(ParseCertificateSubjectTest, BadPemIsAnInvalidArgument) {
  std::string pem = SelfSignedPem({{"CN", "team-a"}});
  for (const std::string& bad :
       {std::string(), std::string("not a certificate"),
        pem.substr(0, pem.size() / 2),
        std::string("-----BEGIN CERTIFICATE-----\nAAAA\n"
                    "-----END CERTIFICATE-----\n")}) {
    absl::StatusOr<CertificateSubject> subject = ParseCertificateSubject(bad);
    EXPECT_EQ(subject.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(subject.status().message(),
                HasSubstr("is not a PEM certificate"));
  }
}

TEST(ParseCertificateSubjectTest, TwoCommonNamesAreRefused) {
  absl::StatusOr<CertificateSubject> subject =
      ParseCertificateSubject(SelfSignedPem({{"CN", "a"}, {"CN", "b"}}));
  EXPECT_EQ(subject.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(subject.status().message(), HasSubstr("2 common names"));
}

TEST(IdentityFromCertificateTest, UnitsGiveTheRoleAndAdminWins) {
  struct Case {
    std::vector<std::string> units;
    Role role;
  };
  for (const Case& c : std::vector<Case>{
           {{}, Role::kClient},
           {{"engineering"}, Role::kClient},
           {{"worker"}, Role::kWorker},
           {{"Worker"}, Role::kClient},
           {{"admin", "worker"}, Role::kAdmin},
           {{"worker", "admin"}, Role::kAdmin},
       }) {
    absl::StatusOr<Identity> identity =
        IdentityFromCertificate({"team-a", c.units});
    ASSERT_TRUE(identity.ok()) << identity.status();
    EXPECT_EQ(identity->tenant, "team-a");
    EXPECT_EQ(identity->role, c.role);
    EXPECT_EQ(identity->source, "certificate CN=team-a");
  }
}

TEST(IdentityFromCertificateTest, TheCommonNameMustBeAValidTenant) {
  absl::StatusOr<Identity> identity = IdentityFromCertificate({"", {"admin"}});
  EXPECT_EQ(identity.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(identity.status().message(), HasSubstr("has no common name"));

  identity = IdentityFromCertificate({"farm.example.com/x", {"admin"}});
  EXPECT_EQ(identity.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(identity.status().message(),
              HasSubstr("common name (CN) \"farm.example.com/x\" is not a "
                        "valid tenant name"));
}

TEST(IdentityFromCertificateTest, WorksOnAParsedCertificate) {
  absl::StatusOr<CertificateSubject> subject = ParseCertificateSubject(
      SelfSignedPem({{"CN", "team-a"}, {"OU", "admin"}}));
  ASSERT_TRUE(subject.ok()) << subject.status();
  absl::StatusOr<Identity> identity = IdentityFromCertificate(*subject);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->tenant, "team-a");
  EXPECT_EQ(identity->role, Role::kAdmin);
}

}  // namespace
}  // namespace farm::auth
