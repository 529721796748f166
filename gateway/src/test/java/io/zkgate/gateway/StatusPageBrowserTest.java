package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zkgate.config.GatewaySettings;
import io.zkgate.gateway.support.HeadlessChromium;
import io.zkgate.gateway.support.Http;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The status page in real headless Chromium, driven by Selenium, against the live demo. Needs Debian's
 * {@code chromium} and {@code chromium-driver} packages; skipped, saying so, when they are not installed.
 */
class StatusPageBrowserTest {
    @TempDir
    Path dir;

    @Test
    void theStatusPageShowsTheDemoRouteAndBothBackendsAndTheRequestCountRisesAfterTraffic() throws Exception {
        assumeTrue(HeadlessChromium.installed(), HeadlessChromium.SKIPPED);
        try (Gateway gateway = Gateway.start(GatewaySettings.of("--demo", "--port", "0", "--admin-port", "0",
                "--embedded-zk-port", "0", "--data-dir", dir.resolve("data").toString()))) {
            await().atMost(Duration.ofSeconds(20)).until(() -> Http.get(gateway.port(), "/demo/").statusCode() == 200);

            WebDriver browser = HeadlessChromium.start(dir.resolve("chrome"));
            try {
                browser.get("http://127.0.0.1:" + gateway.adminPort() + "/");
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() ->
                        !browser.findElements(By.cssSelector("tr[data-route='demo']")).isEmpty()
                        && browser.findElements(By.cssSelector("tr[data-backend^='demo-']")).size() == 2);
                List<WebElement> backends = browser.findElements(By.cssSelector("tr[data-backend^='demo-']"));
                assertEquals("demo-1", backends.get(0).getAttribute("data-backend"));
                assertEquals("demo-2", backends.get(1).getAttribute("data-backend"));
                assertTrue(backends.get(0).getText().contains("up"), backends.get(0).getText());

                long before = requests(browser);
                for (int i = 0; i < 7; i++) {
                    assertEquals(200, Http.get(gateway.port(), "/demo/").statusCode());
                }
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> requests(browser) >= before + 7);

                Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
                Files.copy(shot, Path.of("target", "status-page.png"), StandardCopyOption.REPLACE_EXISTING);
            } finally {
                browser.quit();
            }
        }
    }

    private static long requests(WebDriver browser) {
        return Long.parseLong(browser.findElement(By.cssSelector("tr[data-route='demo'] td.requests")).getText().trim());
    }
}
