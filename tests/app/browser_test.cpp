// The petshop page in a real browser: Debian's headless Chromium, driven
// through the DevTools protocol over a pipe (--remote-debugging-pipe: JSON
// messages separated by NUL on file descriptors 3 and 4). The page must show
// the demo owners and their pets, and a pet added through its form must be
// there after a reload.
#include <fcntl.h>
#include <poll.h>

#include "app/petshop_fixture.hpp"

namespace r = retort;

namespace {

using r::testing::json;
using r::testing::Rows;

constexpr const char* kChromium = "/usr/bin/chromium";

/// A headless Chromium and one page of it, spoken to over the DevTools pipe.
class Browser {
 public:
  explicit Browser(const std::string& profile) {
    std::string profile_arg = "--user-data-dir=" + profile;
    int to_browser[2], from_browser[2];
    if (::pipe(to_browser) != 0 || ::pipe(from_browser) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
      // The protocol's descriptors: the browser reads 3 and writes 4.
      ::dup2(to_browser[0], 3);
      ::dup2(from_browser[1], 4);
      for (int fd : {to_browser[0], to_browser[1], from_browser[0], from_browser[1]})
        if (fd > 4) ::close(fd);
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      ::execl(kChromium, "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
              "--no-first-run", "--disable-extensions", profile_arg.c_str(), "about:blank",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(to_browser[0]);
    ::close(from_browser[1]);
    out_ = to_browser[1];
    in_ = from_browser[0];
  }
  ~Browser() {
    try {
      call("Browser.close", json::object());
    } catch (...) {
    }
    ::close(out_);
    ::close(in_);
    int status = 0;
    for (int k = 0; k < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++k)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }

  /// Opens `url` in a new page and attaches to it.
  void open(const std::string& url) {
    auto target = call("Target.createTarget", {{"url", url}});
    auto attached = call("Target.attachToTarget", {{"targetId", target["targetId"]}, {"flatten", true}});
    session_ = attached["sessionId"];
  }
  /// Runs JavaScript in the page; its value (awaited when a promise).
  json eval(const std::string& expression) {
    auto result = call("Runtime.evaluate", {{"expression", expression}, {"awaitPromise", true}, {"returnByValue", true}},
                       session_);
    if (result.contains("exceptionDetails")) throw std::runtime_error("page script failed: " + result.dump());
    return result["result"].value("value", json());
  }
  /// Polls `expression` until it is true (10 s at most); a script error while
  /// the page is being replaced (a reload) counts as not yet.
  bool wait_for(const std::string& expression) {
    for (int k = 0; k < 200; ++k) {
      try {
        if (eval(expression) == true) return true;
      } catch (const std::runtime_error&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

 private:
  json call(const std::string& method, const json& params, const std::string& session = "") {
    json message{{"id", ++next_id_}, {"method", method}, {"params", params}};
    if (!session.empty()) message["sessionId"] = session;
    std::string text = message.dump();
    text.push_back('\0');
    if (::write(out_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      throw std::runtime_error("cannot write to the browser");
    for (;;) {  // events come in between: skip to the answer
      json reply = json::parse(read_message());
      if (reply.value("id", 0) != next_id_) continue;
      if (reply.contains("error")) throw std::runtime_error(method + ": " + reply["error"].dump());
      return reply["result"];
    }
  }
  std::string read_message() {
    for (;;) {
      if (auto end = buffer_.find('\0'); end != std::string::npos) {
        std::string message = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return message;
      }
      pollfd p{in_, POLLIN, 0};
      if (::poll(&p, 1, 20000) <= 0) throw std::runtime_error("the browser did not answer within 20 s");
      char chunk[65536];
      auto n = ::read(in_, chunk, sizeof chunk);
      if (n <= 0) throw std::runtime_error("the browser closed its pipe");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int out_ = -1, in_ = -1;
  int next_id_ = 0;
  std::string buffer_, session_;
};

class Page : public r::testing::PetshopServer {
 protected:
  void SetUp() override {
    if (::access(kChromium, X_OK) != 0) {
      if (std::getenv("CI")) FAIL() << kChromium << " is missing: scripts/setup.sh installs Debian's chromium";
      GTEST_SKIP() << kChromium << " is missing (scripts/setup.sh installs it)";
    }
    PetshopServer::SetUp();
    ASSERT_EQ(petshop("seed"), 0) << output_;
  }
  std::string root() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
};

// "Ann: Rex, Tom" per owner, as the page lists them.
constexpr const char* kListed =
    "Array.from(document.querySelectorAll('#owners > li')).map(li => li.firstChild.textContent + ': ' + "
    "Array.from(li.querySelectorAll('li.pet')).map(p => p.textContent).join(', '))";

TEST_F(Page, ShowsTheDemoOwnersWithTheirPets) {
  Browser browser((dir_ / "chromium").string());
  browser.open(root());
  ASSERT_TRUE(browser.wait_for("document.querySelectorAll('li.owner').length == 2")) << server_log();
  EXPECT_EQ(browser.eval(kListed), json::array({"Ann: Rex, Tom", "Bob: Fido"}));
  EXPECT_EQ(browser.eval("document.title"), "petshop");
}

TEST_F(Page, APetAddedThroughTheFormIsThereAfterAReload) {
  Browser browser((dir_ / "chromium").string());
  browser.open(root());
  ASSERT_TRUE(browser.wait_for("document.querySelectorAll('#pet-owner option').length == 2")) << server_log();
  // As a person would: type a name, choose Bob, press the button (the page's own handler posts it).
  browser.eval(
      "document.getElementById('pet-name').value = 'Nemo';"
      "document.getElementById('pet-owner').value = String(Array.from(document.querySelectorAll('#pet-owner option'))"
      ".find(o => o.textContent === 'Bob').value);"
      "document.getElementById('add').click(); true");
  ASSERT_TRUE(browser.wait_for("document.body.textContent.includes('Nemo')")) << server_log();
  // The old document answers until the new one replaces it: wait for one without the mark.
  browser.eval("window.before_reload = true; location.reload(); true");
  ASSERT_TRUE(browser.wait_for("window.before_reload === undefined && document.readyState === 'complete' && "
                               "document.querySelectorAll('li.owner').length == 2 && "
                               "document.body.textContent.includes('Nemo')"))
      << server_log();
  EXPECT_EQ(browser.eval(kListed), json::array({"Ann: Rex, Tom", "Bob: Fido, Nemo"}));
  EXPECT_EQ(rows("SELECT owner.name FROM pet JOIN owner ON owner.id = pet.owner_id WHERE pet.name = 'Nemo'"),
            (Rows{{r::Value("Bob")}}));
  EXPECT_NE(server_log().find("petshop: POST /pets 201"), std::string::npos) << server_log();
}

TEST_F(Page, AnErrorFromTheApiIsShownOnThePage) {
  Browser browser((dir_ / "chromium").string());
  browser.open(root());
  ASSERT_TRUE(browser.wait_for("document.querySelectorAll('#pet-owner option').length == 2")) << server_log();
  // A name longer than the column: the form's maxlength is bypassed as a script could; the API says no.
  browser.eval(
      "document.getElementById('pet-name').removeAttribute('maxlength');"
      "document.getElementById('pet-name').value = 'x'.repeat(60);"
      "document.getElementById('add').click(); true");
  ASSERT_TRUE(browser.wait_for("document.getElementById('error').textContent.length > 0"));
  EXPECT_NE(browser.eval("document.getElementById('error').textContent").get<std::string>().find("name"),
            std::string::npos);
  EXPECT_EQ(count("pet"), 3);
}

}  // namespace
