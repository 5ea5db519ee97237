package io.steermesh.gateway;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lab page's ES modules are served from the gateway jar as JavaScript, each module it imports included. */
@QuarkusTest
class GatewayLabPageTest {
    private static final Pattern IMPORT = Pattern.compile("from \"\\./([a-z]+\\.js)\"");

    @Test
    void everyModuleTheLabImportsIsServedAsJavaScript() {
        String page = given().when().get("/").then().statusCode(200).extract().asString();
        assertTrue(page.contains("<script type=\"module\" src=\"/lab/app.js\">"), "the page loads the lab as a module");
        given().when().get("/lab/lab.css").then().statusCode(200).contentType(containsString("text/css"));
        String app = given().when().get("/lab/app.js").then().statusCode(200).contentType(containsString("javascript")).extract().asString();
        Matcher m = IMPORT.matcher(app);
        int imports = 0;
        while (m.find()) {
            imports++;
            given().when().get("/lab/" + m.group(1)).then().statusCode(200).contentType(containsString("javascript"));
        }
        assertTrue(imports >= 4, "app.js imports " + imports + " modules");
    }
}
