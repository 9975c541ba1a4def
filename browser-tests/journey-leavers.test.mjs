// Journey (issue 19, point 6): the SENCO records that a pupil has left from the pupil's own
// page. A date in the future and a destination that is not a DfE number are refused with
// both problems named and what was typed kept; corrected, the leaving is recorded, the page
// says so and names the school the pupil moved to, and the link goes. Run with JavaScript on
// (axe on every page, no page errors) and off, each pass with its own pupil.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  startSenco, newBrowserContext, closeBrowser, signIn, checkAccessibility,
  step, trackPageErrors, assertNoPageErrors
} from './lib/harness.mjs'

describe('journey: recording a leaver', () => {
  let app

  before(async () => {
    app = await startSenco()
  }, { timeout: 360_000 })

  after(async () => {
    await closeBrowser()
    await app?.stop()
  })

  for (const [index, javaScriptEnabled] of [true, false].entries()) {
    const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off'

    test(`a leaver is recorded from the pupil page (${mode})`, { timeout: 240_000 }, async () => {
      const sencoAccount = app.accounts.find(a => a.role === 'senco' && app.samplePupils.some(p => p.school_urn === a.school_urn))
      assert.ok(sencoAccount, 'the demo data has a SENCO with a sample pupil')
      const pupil = app.samplePupils.filter(p => p.school_urn === sencoAccount.school_urn)[index]
      assert.ok(pupil, 'the SENCO\'s school has two sample pupils')

      const context = await newBrowserContext({ javaScriptEnabled })
      const page = await context.newPage()
      if (javaScriptEnabled) trackPageErrors(page)
      const a11y = async label => { if (javaScriptEnabled) await checkAccessibility(page, `leavers-${label}-js`) }
      try {
        await step(page, `${mode} the SENCO opens the form from the pupil's page`, async () => {
          await signIn(page, sencoAccount)
          await page.goto(`/pupils/${pupil.id}`)
          await page.getByRole('link', { name: 'Record that this pupil has left' }).click()
          await page.waitForURL(url => url.pathname === `/pupils/${pupil.id}/leaving`)
          await page.getByRole('heading', { name: 'Record that this pupil has left', level: 1 }).waitFor()
          await a11y('form')
        })

        // The form is dated today by the server; only the year is changed and put back.
        let thisYear = ''
        await step(page, `${mode} a future date and a wrong number are refused together`, async () => {
          thisYear = await page.getByLabel('Year').inputValue()
          const nextYear = String(Number(thisYear) + 1)
          await page.getByLabel('Year').fill(nextYear)
          await page.getByLabel('The school they moved to (optional)').fill('12-34')
          await page.getByRole('button', { name: 'Record leaving' }).click()
          await page.locator('.govuk-error-summary').waitFor()
          const summary = await page.locator('.govuk-error-summary').innerText()
          assert.match(summary, /Date the pupil left must be today or in the past/)
          assert.match(summary, /DfE number as 7 digits/)
          assert.equal(await page.getByLabel('The school they moved to (optional)').inputValue(), '12-34')
          assert.equal(await page.getByLabel('Year').inputValue(), nextYear)
          await a11y('errors')
        })

        await step(page, `${mode} corrected, the leaving is recorded`, async () => {
          await page.getByLabel('Year').fill(thisYear)
          await page.getByLabel('The school they moved to (optional)').fill('886 7777')
          await page.getByRole('button', { name: 'Record leaving' }).click()
          await page.waitForURL(url => url.pathname === `/pupils/${pupil.id}`)
          const main = await page.locator('main').innerText()
          assert.match(main, /Leaving recorded/)
          assert.match(main, /Moved to school 8867777/)
          assert.equal(await page.getByRole('link', { name: 'Record that this pupil has left' }).count(), 0)
          await a11y('recorded')
        })
        if (javaScriptEnabled) assertNoPageErrors(page)
      } finally {
        await context.close()
      }
    })
  }
})
